#include "gradnet/data/folder.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <numeric>

#include <fmt/format.h>

#include "gradnet/data/image.h"
#include "gradnet/error.h"
#include "gradnet/rng.h"

namespace gradnet {

namespace {

namespace fs = std::filesystem;

// The images of one folder tree: its classes (folder names, sorted) and its files with labels.
struct Listing {
  std::string root;
  std::vector<std::string> classes;
  std::vector<std::string> paths;
  std::vector<std::int32_t> labels;
  std::size_t skipped = 0;     // files that are not images
  std::string skipped_example;
};

bool hidden(const fs::path& p) { return !p.filename().empty() && p.filename().string().front() == '.'; }

std::vector<std::string> subfolders(const std::string& root) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec))
    if (!hidden(e.path()) && e.is_directory(ec)) names.push_back(e.path().filename().string());
  GRADNET_CHECK(!ec, data, "{}: cannot list the folder ({})", root, ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

// Every image under dir (recursively, links followed), sorted; other files counted in l.
std::vector<std::string> images_under(const std::string& dir, Listing& l) {
  std::vector<std::string> found;
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (hidden(it->path())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    if (is_image_file_name(it->path().string())) {
      found.push_back(it->path().string());
    } else if (l.skipped++ == 0) {
      l.skipped_example = it->path().string();
    }
  }
  GRADNET_CHECK(!ec, data, "{}: cannot list the folder ({})", dir, ec.message());
  std::sort(found.begin(), found.end());
  return found;
}

// root's class folders and their images. train_classes non-empty (a test/ folder): the classes
// are those, and each folder here must be one of them.
Listing list_classes(const std::string& root, const std::vector<std::string>& train_classes) {
  Listing l;
  l.root = root;
  const std::vector<std::string> folders = subfolders(root);
  GRADNET_CHECK(!folders.empty(), data,
                "{}: no class folders: an image folder holds one subfolder per class ({}/<class>/*.png or *.jpg), "
                "or train/ and test/ subfolders that each hold them",
                root, root);
  l.classes = train_classes.empty() ? folders : train_classes;
  for (const std::string& name : folders) {
    const auto at = std::find(l.classes.begin(), l.classes.end(), name);
    GRADNET_CHECK(at != l.classes.end(), data, "{}: a test class folder with no training folder of that name (the "
                  "classes are: {})", (fs::path(root) / name).string(), fmt::join(l.classes, ", "));
    const std::string dir = (fs::path(root) / name).string();
    const std::vector<std::string> found = images_under(dir, l);
    GRADNET_CHECK(!found.empty(), data, "{}: an empty class folder: no .png, .jpg or .jpeg images in it", dir);
    l.paths.insert(l.paths.end(), found.begin(), found.end());
    l.labels.insert(l.labels.end(), found.size(), static_cast<std::int32_t>(at - l.classes.begin()));
  }
  return l;
}

void note_skipped(const Listing& l) {
  if (l.skipped == 0) return;
  const bool one = l.skipped == 1;
  fmt::print(stderr, "gradnet: note: {}: skipped {} file{} that {} not {}.png, .jpg or .jpeg image{} (e.g. {})\n", l.root,
             l.skipped, one ? "" : "s", one ? "is" : "are", one ? "a " : "", one ? "" : "s", l.skipped_example);
}

std::string describe(Index channels, Index height, Index width) {
  return fmt::format("{}x{} {}", width, height, channels == 1 ? "grayscale" : "RGB");
}

// One decoded image as planar bytes of shape want, converted where the config allows it.
void to_example(const std::string& path, const ImageBytes& img, const Shape& want, const DataConfig& c,
                const std::string& reference, std::uint8_t* out) {
  const bool same_channels = img.channels == want[0], same_size = img.height == want[1] && img.width == want[2];
  if ((!same_channels && c.channels == 0) || (!same_size && c.image_size.empty()))
    fail(ErrorKind::data, "{}: a {} image, but {} {}: the images of a folder must share one size and channel count; "
         "set data.image_size = [H, W] to resize them all, data.channels = 1 or 3 to convert them",
         path, describe(img.channels, img.height, img.width), reference, describe(want[0], want[1], want[2]));
  const Index plane = img.width * img.height;
  if (same_channels && same_size) {  // HWC -> CHW
    for (Index p = 0; p < plane; ++p)
      for (Index ch = 0; ch < img.channels; ++ch) out[ch * plane + p] = img.pixels[p * img.channels + ch];
    return;
  }
  Shape s = {img.channels, img.height, img.width};
  std::vector<float> v(static_cast<std::size_t>(numel(s)));
  for (Index p = 0; p < plane; ++p)
    for (Index ch = 0; ch < img.channels; ++ch) v[ch * plane + p] = img.pixels[p * img.channels + ch];
  if (s[0] == 3 && want[0] == 1) v = to_grayscale(v.data(), s);
  if (s[0] == 1 && want[0] == 3) v = to_rgb(v.data(), s);
  s[0] = want[0];
  if (!same_size) v = resize_image(v.data(), s, want[1], want[2]);
  for (std::size_t j = 0; j < v.size(); ++j)
    out[j] = static_cast<std::uint8_t>(std::lround(std::clamp(v[j], 0.0f, 255.0f)));
}

// The example shape: data.channels / data.image_size where set, else the first image's.
Shape target_shape(const ImageBytes& first, const DataConfig& c) {
  return {c.channels > 0 ? c.channels : first.channels, c.image_size.empty() ? first.height : c.image_size[0],
          c.image_size.empty() ? first.width : c.image_size[1]};
}

// The images l.paths[order[k]] with their labels as one byte-row Dataset. want empty: the first
// image (after the config's conversions) sets the shape. Decoded in parallel; the first failing
// file in that order is the one reported.
Dataset decode(const Listing& l, const std::vector<std::size_t>& order, Shape want, const DataConfig& c,
               const std::string& want_from) {
  Dataset d;
  d.source = l.root;
  d.classes = static_cast<Index>(l.classes.size());
  d.class_names = l.classes;
  d.byte_rows = true;
  const Index n = static_cast<Index>(order.size());
  d.y.resize(order.size());
  for (Index k = 0; k < n; ++k) d.y[k] = l.labels[order[k]];
  if (n == 0) {
    d.shape = want;
    return d;
  }
  const ImageBytes first = read_image_bytes(l.paths[order[0]]);
  const std::string reference = want.empty() ? fmt::format("{} is", l.paths[order[0]]) : want_from;
  if (want.empty()) want = target_shape(first, c);
  d.shape = want;
  const Index features = numel(want);
  d.bytes.resize(static_cast<std::size_t>(n * features));
  to_example(l.paths[order[0]], first, want, c, reference, d.bytes.data());
  std::vector<std::exception_ptr> errors(order.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (Index k = 1; k < n; ++k) {
    try {
      const std::string& path = l.paths[order[k]];
      to_example(path, read_image_bytes(path), want, c, reference, d.bytes.data() + k * features);
    } catch (...) {
      errors[k] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  return d;
}

std::vector<std::size_t> first_n(std::vector<std::size_t> order, std::int64_t limit) {
  if (limit > 0 && static_cast<std::size_t>(limit) < order.size()) order.resize(static_cast<std::size_t>(limit));
  return order;
}

// Which files are train and which test: the two lists of indices into l.paths (or into the
// test listing, for the train/test layout).
struct Plan {
  Listing train, test;  // test.paths empty: the test files are drawn from train's
  std::vector<std::size_t> train_order, test_order;
};

Plan plan(const DataConfig& c, const std::string& dir, std::uint64_t seed) {
  Plan p;
  std::error_code ec;
  const fs::path train_dir = fs::path(dir) / "train", test_dir = fs::path(dir) / "test";
  const bool split_layout = fs::is_directory(train_dir, ec) && fs::is_directory(test_dir, ec);
  p.train = list_classes(split_layout ? train_dir.string() : dir, {});
  std::vector<std::size_t> all(p.train.paths.size());
  std::iota(all.begin(), all.end(), std::size_t(0));
  Rng rng = Rng::stream(seed, "split");  // the files are sorted by class: shuffled before any split
  rng.shuffle(all);
  if (split_layout) {
    p.test = list_classes(test_dir.string(), p.train.classes);
    p.train_order = all;
    p.test_order.resize(p.test.paths.size());
    std::iota(p.test_order.begin(), p.test_order.end(), std::size_t(0));
  } else {
    GRADNET_CHECK(c.test_fraction >= 0 && c.test_fraction < 1, config,
                  "data.test_fraction = {}: expected a share in [0, 1)", c.test_fraction);
    const std::size_t held = static_cast<std::size_t>(std::llround(c.test_fraction * static_cast<double>(all.size())));
    p.train_order.assign(all.begin(), all.end() - static_cast<std::ptrdiff_t>(held));
    p.test_order.assign(all.end() - static_cast<std::ptrdiff_t>(held), all.end());
    std::sort(p.test_order.begin(), p.test_order.end());  // sorted paths: a stable, readable test order
    p.test = p.train;
  }
  p.train_order = first_n(std::move(p.train_order), c.train_limit);
  p.test_order = first_n(std::move(p.test_order), c.test_limit);
  return p;
}

}  // namespace

Splits load_folder_splits(const DataConfig& c, const std::string& dir, std::uint64_t seed) {
  const Plan p = plan(c, dir, seed);
  note_skipped(p.train);
  if (p.test.root != p.train.root) note_skipped(p.test);
  Splits s;
  s.train = decode(p.train, p.train_order, {}, c, "");
  s.test = decode(p.test, p.test_order, s.train.shape,  c,
                  fmt::format("the training images ({}) are", s.train.source));
  return s;
}

Dataset load_folder_test(const DataConfig& c, const std::string& dir, std::uint64_t seed) {
  const Plan p = plan(c, dir, seed);
  note_skipped(p.test);
  return decode(p.test, p.test_order, {}, c, "");
}

}  // namespace gradnet
