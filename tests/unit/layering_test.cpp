// The module layering docs/architecture.md draws: each module may include only the modules below
// it. Scans every source and header for #include "..." lines, so a back-edge (optim, schedule or
// data reaching into the config, the core reaching into training) fails here, not in a review.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Rule {
  std::vector<std::string> paths;      // files or directories, relative to the source root
  std::vector<std::string> forbidden;  // include prefixes they may not use
};

// From the bottom up: the core (tensors, layers, losses, nets, kernels), then the modules a config
// is made of (optim, schedule, data), then the config, then training, then the CLI and report. The
// kernels (src/kernels/) are the bottom of the core: no layer, loss, net or module above them.
const std::vector<Rule>& rules() {
  static const std::vector<std::string> config = {"gradnet/config.h", "../config/", "config/", "schema",
                                                  "optimizer_section.h", "rules.h"};
  static const std::vector<std::string> train = {"gradnet/train/", "../train/", "gradnet/report", "gradnet/search"};
  auto plus = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  static const std::vector<std::string> modules = {"gradnet/optim/", "gradnet/schedule", "gradnet/data/"};
  static const std::vector<Rule> r = {
      {{"src/optim", "include/gradnet/optim"},
       plus(plus(config, train), {"gradnet/schedule", "gradnet/data/"})},
      {{"src/schedule", "include/gradnet/schedule.h", "include/gradnet/schedule"},
       plus(plus(config, train), {"gradnet/optim/", "gradnet/data/"})},
      {{"src/data", "include/gradnet/data"}, plus(plus(config, train), {"gradnet/optim/", "gradnet/schedule"})},
      {{"src/layers", "include/gradnet/layers", "src/net.cpp", "include/gradnet/net.h",
        "include/gradnet/layer.h", "src/loss.cpp", "include/gradnet/loss.h", "src/init.cpp",
        "include/gradnet/init.h", "include/gradnet/model_spec.h", "src/gradcheck.cpp", "include/gradnet/gradcheck.h",
        "include/gradnet/tensor.h", "include/gradnet/value.h", "include/gradnet/metric.h",
        "include/gradnet/enum_names.h", "include/gradnet/param.h", "include/gradnet/rng.h", "include/gradnet/error.h"},
       plus(plus(config, train), modules)},
      {{"src/config", "include/gradnet/config.h"}, train},
      // The kernels sit under the layers: core headers and BLAS only.
      {{"src/kernels"},
       plus(plus(plus(config, train), modules),
            {"gradnet/layer", "gradnet/loss.h", "gradnet/net.h", "gradnet/init.h", "gradnet/model_spec.h",
             "gradnet/gradcheck.h", "../layers/", "../optim/", "../data/", "../train/", "../loss"})},
  };
  return r;
}

std::vector<fs::path> files_under(const fs::path& p) {
  std::vector<fs::path> out;
  if (fs::is_regular_file(p)) return {p};
  if (!fs::is_directory(p)) return out;
  for (const auto& e : fs::recursive_directory_iterator(p))
    if (e.is_regular_file() && (e.path().extension() == ".h" || e.path().extension() == ".cpp")) out.push_back(e.path());
  return out;
}

TEST(Layering, NoIncludeReachesUpTheLayers) {
  const fs::path root = GRADNET_SOURCE_DIR;
  const std::regex include_line(R"(^\s*#\s*include\s*"([^"]+)\")");
  std::size_t files = 0;
  for (const Rule& rule : rules()) {
    for (const std::string& where : rule.paths) {
      ASSERT_TRUE(fs::exists(root / where)) << where << " is gone: update the layering rules";
      for (const fs::path& file : files_under(root / where)) {
        ++files;
        std::ifstream in(file);
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
          std::smatch m;
          if (!std::regex_search(line, m, include_line)) continue;
          const std::string included = m[1];
          for (const std::string& bad : rule.forbidden)
            EXPECT_NE(included.rfind(bad, 0), 0u)
                << fs::relative(file, root).string() << ":" << n << " includes \"" << included << "\" (" << where
                << " may not include " << bad << "...)";
        }
      }
    }
  }
  EXPECT_GT(files, 50u);  // the scan saw the tree
}

}  // namespace
