// gradnet predict RUNDIR|MODEL INPUT... [--top K] [--json]
// INPUT: PNG images (one example each), IDX image files, or CSV files of feature rows (a
// label column, if present where the run's config says, is ignored).
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/data/csv.h"
#include "gradnet/data/idx.h"
#include "gradnet/data/image.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/train/model_io.h"
#include "options.h"

namespace gradnet::cli {

namespace {
struct PredictArgs {
  std::string target;
  std::vector<std::string> inputs;
  Index top = 3;
  std::int64_t threads = -1;  // -1: the run's train.threads
  bool json = false;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The examples of one input file, raw (before normalization).
Dataset read_input(const std::string& path, const LoadedModel& m) {
  GRADNET_CHECK(std::filesystem::exists(path), usage, "{}: no such input file", path);
  if (ends_with(path, ".png"))
    return load_png_images({path}, m.normalizer.input_features() > 0 ? m.normalizer.input_features()
                                                                     : numel(m.net->input_shape()));
  if (path.find("idx3") != std::string::npos) return load_idx_images(path);
  if (ends_with(path, ".csv") || ends_with(path, ".csv.gz"))
    return load_csv_features(path, m.normalizer.input_features() > 0 ? m.normalizer.input_features()
                                                                      : numel(m.net->input_shape()),
                             m.config.data.label_column);
  fail(ErrorKind::usage, "{}: unknown input kind; give .png images, an IDX image file (*idx3*) or .csv rows", path);
}
}  // namespace

Command add_predict(CLI::App& root) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* app = root.add_subcommand("predict", "Classify inputs with a trained run");
  app->add_option("target", args->target, "A run directory made by `gradnet train`, or its model.safetensors")
      ->type_name("RUNDIR|MODEL")
      ->required();
  app->add_option("inputs", args->inputs, "PNG images, IDX image files or CSV files of feature rows")
      ->type_name("INPUT")
      ->required();
  app->add_option("--top", args->top, "How many classes to list per input")
      ->type_name("K")
      ->check(positive_integer())
      ->capture_default_str();
  add_threads_option(app, args->threads);
  app->add_flag("--json", args->json, "Print the predictions as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet predict runs/try1 digit.png", "gradnet predict runs/iris data/small/iris.csv --top 1 --json"});
  return {app, [args] {
            LoadedModel m = load_model(args->target);  // inference net, the run's evaluation pass
            set_threads(threads_or(args->threads, m.config.train.threads));
            const Index features = numel(m.net->input_shape());
            const Index classes = numel(m.net->output_shape());
            const Index batch = m.net->max_batch();
            nlohmann::json predictions = nlohmann::json::array();
            std::vector<float> probs(static_cast<std::size_t>(batch * classes)), scratch;
            for (const std::string& path : args->inputs) {
              Dataset d = read_input(path, m);
              m.normalizer.apply(d);  // first: pca with k components makes the examples [k]
              GRADNET_CHECK(d.features() == features, shape,
                            "{}: {} values per example (shape {}), the model takes {} (model.input = {})", path,
                            d.features(), shape_str(d.shape), features, shape_str(m.net->input_shape()));
              for (Index begin = 0; begin < d.size(); begin += batch) {
                const Index n = std::min<Index>(batch, d.size() - begin);
                ConstView<float> out = m.net->forward(d.rows(begin, n, scratch), StepContext{Mode::eval, nullptr});
                View<float> p{probs.data(), n, classes};
                m.net->loss_fn().predict(out, p);
                for (Index i = 0; i < n; ++i) {
                  const std::string name = d.size() == 1 ? path : fmt::format("{}[{}]", path, begin + i);
                  for (Index c = 0; c < classes; ++c)  // never a NaN printed as a probability
                    GRADNET_CHECK(std::isfinite(p(i, c)), runtime,
                                  "{}: the model's output is not finite (NaN or infinity): no prediction", name);
                  std::vector<Index> order(static_cast<std::size_t>(classes));
                  for (Index c = 0; c < classes; ++c) order[c] = c;
                  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return p(i, a) > p(i, b); });
                  nlohmann::json top = nlohmann::json::array();
                  for (Index k = 0; k < std::min(args->top, classes); ++k)
                    top.push_back({{"class", order[k]}, {"probability", p(i, order[k])}});
                  predictions.push_back({{"input", name}, {"class", order[0]}, {"probability", p(i, order[0])}, {"top", top}});
                  if (!args->json) {
                    std::string list;
                    for (const auto& t : top) list += fmt::format("  {}: {:.4f}", t["class"].get<Index>(), t["probability"].get<float>());
                    fmt::print("{}: class {}  (top {}:{})\n", name, order[0], top.size(), list);
                  }
                }
              }
            }
            if (args->json) print_json_line({{"predictions", predictions}, {"run_dir", m.run_dir}});
            return 0;
          }};
}

}  // namespace gradnet::cli
