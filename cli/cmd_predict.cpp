// gradnet predict MODEL... INPUT... [--vote] [--top K] [--json] [--grayscale] [--rgb] [--resize] [--invert]
// INPUT: PNG or JPEG images (one example each), directories of them (every *.png, *.jpg, *.jpeg,
// sorted by name),
// IDX image files, or CSV files of feature rows (a label column, if present where the run's
// config says, is ignored). Images must have the shape the run was trained on (1x28x28
// grayscale for MNIST); the options convert the ones that do not, and an image whose background
// is bright where the training data's is dark (or the reverse) gets a warning. Several models (every
// leading run directory or .safetensors file) predict as an ensemble: their probabilities averaged,
// or a majority vote with --vote.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/data/csv.h"
#include "gradnet/data/idx.h"
#include "gradnet/data/image.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/train/ensemble.h"
#include "gradnet/train/model_io.h"
#include "options.h"

namespace gradnet::cli {

namespace {
namespace fs = std::filesystem;

struct PredictArgs {
  std::vector<std::string> words;   // models, then inputs (split_models_and_inputs)
  std::vector<std::string> inputs;
  bool vote = false;
  Index top = 3;
  std::int64_t threads = -1;  // -1: the run's train.threads
  bool json = false;
  bool grayscale = false, rgb = false, resize = false, invert = false;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && lower(s).compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Inputs with each directory replaced by its PNG and JPEG files, sorted by name.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) {
      out.push_back(input);
      continue;
    }
    std::vector<std::string> images;
    for (const auto& e : fs::directory_iterator(input, ec))
      if (e.is_regular_file(ec) && is_image_file_name(e.path().filename().string())) images.push_back(e.path().string());
    GRADNET_CHECK(!images.empty(), usage,
                  "{}: a directory without .png or .jpg images (predict reads every *.png, *.jpg and *.jpeg in it)", input);
    std::sort(images.begin(), images.end());
    out.insert(out.end(), images.begin(), images.end());
  }
  return out;
}

// Values per example before normalization (pca's k components come from more).
Index raw_features(const LoadedModel& m) {
  return m.normalizer.input_features() > 0 ? m.normalizer.input_features() : numel(m.net->input_shape());
}

// The {C, H, W} of the images the run was trained on; empty when its examples are not images.
// Runs without dataset.json: model.input when it is [C, H, W], else a square 1- or 3-channel image.
Shape trained_image_shape(const LoadedModel& m) {
  if (!m.info.shape.empty()) return m.info.shape.size() == 3 ? m.info.shape : Shape{};
  const Index features = raw_features(m);
  if (m.config.model.input.size() == 3 && numel(m.config.model.input) == features) return m.config.model.input;
  for (Index c : {1, 3}) {
    const auto side = static_cast<Index>(std::llround(std::sqrt(static_cast<double>(features / c))));
    if (features % c == 0 && side >= 8 && side * side * c == features) return {c, side, side};
  }
  return {};
}

std::string describe(const Shape& s) {
  const char* kind = s[0] == 1 ? " grayscale" : s[0] == 3 ? " RGB" : "";
  return fmt::format("{}x{}x{}{}", s[0], s[1], s[2], kind);
}

// Error{data} naming the file, what it holds, what the model expects and the options that convert it.
void check_convertible(const std::string& path, const Shape& got, const Shape& want, const PredictArgs& a) {
  std::vector<std::string> missing;
  if (got[0] != want[0]) {
    GRADNET_CHECK((got[0] == 3 && want[0] == 1) || (got[0] == 1 && want[0] == 3), data,
                  "{}: a {} image; the model expects a {} image", path, describe(got), describe(want));
    if (want[0] == 1 && !a.grayscale) missing.push_back("--grayscale");
    if (want[0] == 3 && !a.rgb) missing.push_back("--rgb");
  }
  if ((got[1] != want[1] || got[2] != want[2]) && !a.resize) missing.push_back("--resize");
  GRADNET_CHECK(missing.empty(), data, "{}: a {} image; the model expects a {} image (what it was trained on); pass {} to "
                "convert it", path, describe(got), describe(want), fmt::join(missing, " "));
}

// Converts every example of d (raw images) to the trained shape, inverting it on --invert.
void conform_images(Dataset& d, const Shape& want, const PredictArgs& a) {
  if (d.shape == want && !a.invert) return;
  to_float_rows(d);  // fresh from the file: raw values, nothing pending
  const Index n = d.size(), in_features = d.features();
  Tensor<float> x({n, numel(want)});
  for (Index i = 0; i < n; ++i) {
    std::vector<float> v(d.x.data() + i * in_features, d.x.data() + (i + 1) * in_features);
    Shape s = d.shape;
    if (s[0] == 3 && want[0] == 1) {
      v = to_grayscale(v.data(), s);
      s[0] = 1;
    } else if (s[0] == 1 && want[0] == 3) {
      v = to_rgb(v.data(), s);
      s[0] = 3;
    }
    if (s != want) v = resize_image(v.data(), s, want[1], want[2]);
    if (a.invert)
      for (float& p : v) p = 255.0f - p;
    std::copy(v.begin(), v.end(), x.data() + i * numel(want));
  }
  d.x = std::move(x);
  d.shape = want;
}

// The training images' background level (raw 0..255): dataset.json's, else, for older runs, the
// border of the normalization's per-pixel training mean; NaN when neither says.
double training_background(const LoadedModel& m, const Shape& shape) {
  if (std::isfinite(m.info.border_mean)) return m.info.border_mean;
  const Normalizer& n = m.normalizer;
  if ((n.method == NormalizeMethod::standardize || n.rotation()) && n.input_features() == numel(shape))
    return border_mean(n.mean.data(), shape);
  return std::nan("");
}

// A warning when the images' background is bright and the training data's dark, or the reverse.
std::string background_warning(const std::string& path, const Dataset& d, const LoadedModel& m, bool inverted) {
  if (d.shape.size() != 3 || d.size() == 0) return "";  // CSV rows have no background
  const double trained = training_background(m, d.shape);
  if (!std::isfinite(trained)) return "";
  double sum = 0;
  const Index f = d.features();
  for (Index i = 0; i < d.size(); ++i)
    sum += d.byte_rows ? border_mean(d.bytes.data() + i * f, d.shape) : border_mean(d.x.data() + i * f, d.shape);
  const double background = sum / static_cast<double>(d.size());
  auto bright = [](double v) { return v >= 127.5; };
  if (bright(background) == bright(trained)) return "";
  return fmt::format("{}: the background is {} (border mean {:.0f} of 255) while the training data's is {} ({:.0f}): "
                     "the image looks inverted and will likely be mispredicted; {}",
                     path, bright(background) ? "bright" : "dark", background, bright(trained) ? "bright" : "dark",
                     trained, inverted ? "--invert flipped it: leave --invert off for this one" : "pass --invert to flip it");
}

// The examples of one input file, raw (before normalization), in the trained image shape.
Dataset read_input(const std::string& path, const LoadedModel& m, const PredictArgs& a) {
  GRADNET_CHECK(fs::exists(path), usage, "{}: no such input file", path);
  const Shape want = trained_image_shape(m);
  if (is_image_file_name(path)) {
    const Shape got = image_file_shape(path);  // a PNG's header only: a wrong size is refused before decoding
    GRADNET_CHECK(!want.empty(), data,
                  "{}: a {}x{} {} image; the model takes {} values per example (model.input = {}), not images: give "
                  ".csv rows",
                  path, got[2], got[1], got[0] == 1 ? "grayscale" : "RGB", raw_features(m),
                  shape_str(m.config.model.input));
    check_convertible(path, got, want, a);
    Dataset d = load_png_images({path});
    conform_images(d, want, a);
    return d;
  }
  if (path.find("idx3") != std::string::npos) {
    Dataset d = load_idx_images(path);
    if (!want.empty()) {
      check_convertible(path, d.shape, want, a);
      conform_images(d, want, a);
    }
    return d;
  }
  if (ends_with(path, ".csv") || ends_with(path, ".csv.gz"))
    return load_csv_features(path, raw_features(m), m.config.data.label_column);
  fail(ErrorKind::usage,
       "{}: unknown input kind; give .png or .jpg images, a directory of them, an IDX image file (*idx3*) or .csv rows",
       path);
}

// Whether a word names a model: a run directory (it holds config.toml) or a .safetensors file.
bool is_model(const std::string& word) {
  std::error_code ec;
  if (fs::is_directory(word, ec)) return fs::exists(fs::path(word) / "config.toml", ec);
  return ends_with(word, ".safetensors");
}

// The first word is a model; so is each following one that is_model; the rest are inputs, and a
// model among them is refused (models come first).
std::vector<std::string> split_models_and_inputs(const std::vector<std::string>& words, std::vector<std::string>& inputs) {
  std::vector<std::string> models{words.front()};
  std::size_t i = 1;
  while (i < words.size() && is_model(words[i])) models.push_back(words[i++]);
  inputs.assign(words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
  GRADNET_CHECK(!inputs.empty(), usage, "no input to classify after the model{} (give images, directories of them, "
                "IDX or CSV files after the run directories)", models.size() == 1 ? "" : "s");
  for (const std::string& input : inputs)
    GRADNET_CHECK(!is_model(input), usage, "{}: a model among the inputs; give every model first, then the inputs",
                  input);
  return models;
}

// One model's probabilities for the examples of `path` (read and normalized its own way).
Tensor<float> member_probabilities(LoadedModel& m, const std::string& path, const PredictArgs& a, bool warn,
                                   nlohmann::json& warnings) {
  Dataset d = read_input(path, m, a);
  if (const std::string w = background_warning(path, d, m, a.invert); warn && !w.empty()) {
    fmt::print(stderr, "gradnet: warning: {}\n", w);
    warnings.push_back(w);
  }
  m.normalizer.apply(d);  // first: pca with k components makes the examples [k]
  const Index features = numel(m.net->input_shape());
  GRADNET_CHECK(d.features() == features, shape, "{}: {} values per example (shape {}), the model takes {} (model.input = {})",
                path, d.features(), shape_str(d.shape), features, shape_str(m.net->input_shape()));
  const Index classes = numel(m.net->output_shape()), batch = m.net->max_batch();
  Tensor<float> probs({d.size(), classes});
  std::vector<float> scratch;
  for (Index begin = 0; begin < d.size(); begin += batch) {
    const Index n = std::min<Index>(batch, d.size() - begin);
    ConstView<float> out = m.net->forward(d.rows(begin, n, scratch), StepContext{Mode::eval, nullptr});
    m.net->loss_fn().predict(out, View<float>{probs.data() + begin * classes, n, classes});
  }
  return probs;
}

// "Sneaker (class 7)" where the run has a name for the class other than its number, else "class 7".
std::string class_label(const LoadedModel& m, Index c) {
  const std::string name = m.info.class_name(c);
  return name == std::to_string(c) ? fmt::format("class {}", c) : fmt::format("{} (class {})", name, c);
}

nlohmann::json prediction(const LoadedModel& m, const std::string& name, ConstView<float> p, Index i, Index top_k) {
  const Index classes = p.cols;
  for (Index c = 0; c < classes; ++c)  // never a NaN printed as a probability
    GRADNET_CHECK(std::isfinite(p(i, c)), runtime,
                  "{}: the model's output is not finite (NaN or infinity): no prediction", name);
  std::vector<Index> order(static_cast<std::size_t>(classes));
  for (Index c = 0; c < classes; ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return p(i, a) > p(i, b); });
  const bool named = !m.info.class_names.empty();
  nlohmann::json top = nlohmann::json::array();
  for (Index k = 0; k < std::min(top_k, classes); ++k) {
    top.push_back({{"class", order[k]}, {"probability", p(i, order[k])}});
    if (named) top.back()["name"] = m.info.class_name(order[k]);
  }
  nlohmann::json j = {{"input", name}, {"class", order[0]}, {"probability", p(i, order[0])}, {"top", top}};
  if (named) j["name"] = m.info.class_name(order[0]);
  return j;
}

void print_prediction(const LoadedModel& m, const nlohmann::json& j) {
  std::vector<std::string> list;
  for (const auto& t : j["top"])
    list.push_back(fmt::format("{} {:.4f}", m.info.class_name(t["class"].get<Index>()), t["probability"].get<float>()));
  fmt::print("{}: {} {:.4f}  (top {}: {})\n", j["input"].get<std::string>(), class_label(m, j["class"].get<Index>()),
             j["probability"].get<float>(), list.size(), fmt::join(list, ", "));
}
}  // namespace

Command add_predict(CLI::App& root) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* app = root.add_subcommand("predict", "Classify inputs with a trained run");
  app->add_option("models_and_inputs", args->words,
                  "The model, then the inputs. MODEL: a run directory made by `gradnet train` (its model, or its "
                  "newest checkpoint when it has none), its model.safetensors (or ema/swa.safetensors), or a file "
                  "in its checkpoints/; several models first (every leading run directory or .safetensors file) make "
                  "an ensemble that averages their probabilities. INPUT: PNG or JPEG images (of the trained shape, e.g. "
                  "1x28x28 grayscale), directories of them, IDX image files or CSV files of feature rows")
      ->type_name("MODEL... INPUT...")
      ->expected(1, -1)  // "no input to classify" is said by split_models_and_inputs
      ->required();
  app->add_flag("--vote", args->vote,
                "With several models: a majority vote (ties broken by the mean probability); the probabilities "
                "shown are then (votes + mean probability) / (models + 1)");
  app->add_option("--top", args->top, "How many classes to list per input")
      ->type_name("K")
      ->check(positive_integer())
      ->capture_default_str();
  add_threads_option(app, args->threads);
  app->add_flag("--json", args->json, "Print the predictions as one JSON object, the last line on stdout");
  app->add_flag("--grayscale", args->grayscale, "Convert RGB images to grayscale (BT.601 luma) for a grayscale model");
  app->add_flag("--rgb", args->rgb, "Repeat a grayscale image's channel three times for an RGB model");
  app->add_flag("--resize", args->resize, "Resample images of another size to the trained height and width");
  app->add_flag("--invert", args->invert, "Invert images (255 - value): dark on light becomes light on dark");
  set_examples(app, {"gradnet predict runs/try1 digit.png", "gradnet predict runs/try1 photos/ --grayscale --resize",
                     "gradnet predict runs/iris data/small/iris.csv --top 1 --json",
                     "gradnet predict runs/seed1 runs/seed2 runs/seed3 digit.png"});
  return {app, [args] {
            const std::vector<std::string> model_paths = split_models_and_inputs(args->words, args->inputs);
            GRADNET_CHECK(!args->vote || model_paths.size() > 1, usage, "--vote combines several models; one was given");
            std::vector<LoadedModel> models = load_ensemble(model_paths);  // inference nets, their evaluation pass
            for (const LoadedModel& m : models)
              if (!m.note.empty()) fmt::print(stderr, "gradnet: note: {}\n", m.note);
            const LoadedModel& first = models.front();
            set_threads(threads_or(args->threads, first.config.train.threads));
            const EnsembleCombine how = args->vote ? EnsembleCombine::vote : EnsembleCombine::average;
            nlohmann::json predictions = nlohmann::json::array(), warnings = nlohmann::json::array();
            for (const std::string& path : expand_inputs(args->inputs)) {
              std::vector<Tensor<float>> member_probs;
              for (LoadedModel& m : models)
                member_probs.push_back(member_probabilities(m, path, *args, &m == &models.front(), warnings));
              const Tensor<float> p = models.size() == 1 ? std::move(member_probs.front())
                                                         : combine_probabilities(member_probs, how);
              const Index n = p.shape()[0];
              for (Index i = 0; i < n; ++i) {
                const std::string name = n == 1 ? path : fmt::format("{}[{}]", path, i);
                predictions.push_back(prediction(first, name, p.view(), i, args->top));
                if (!args->json) print_prediction(first, predictions.back());
              }
            }
            if (!args->json) return 0;
            nlohmann::json j = {{"predictions", predictions},
                                {"class_names", first.info.class_names},
                                {"warnings", warnings},
                                {"model", first.model_path},
                                {"run_dir", first.run_dir}};
            if (models.size() > 1) {
              nlohmann::json list = nlohmann::json::array();
              for (const LoadedModel& m : models) list.push_back(m.model_path);
              j["models"] = list;
              j["combine"] = args->vote ? "vote" : "average";
            }
            print_json_line(j);
            return 0;
          }};
}

}  // namespace gradnet::cli
