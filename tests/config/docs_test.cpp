// docs/config.md is config_reference_markdown(): every key of the schema, in step with it; its
// TOML examples parse. GRADNET_UPDATE_DOCS=1 rewrites the file instead of failing.
#include "gradnet/config.h"

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "gradnet/error.h"
#include "gradnet/layer_registry.h"
#include "test_support.h"

namespace gradnet {
namespace {

std::string docs_path() { return testing::source_dir() + "/docs/config.md"; }

TEST(Docs, ConfigMdIsInStepWithTheSchema) {
  const std::string expected = config_reference_markdown();
  if (std::getenv("GRADNET_UPDATE_DOCS")) testing::write_file(docs_path(), expected);
  const std::string actual = testing::read_file(docs_path());
  EXPECT_TRUE(actual == expected) << "docs/config.md is out of step with the schema; regenerate it with\n"
                                     "  GRADNET_UPDATE_DOCS=1 build/tests/gradnet_config_tests --gtest_filter='Docs.*'";
}

TEST(Docs, EveryKeyAppears) {
  const std::string text = testing::read_file(docs_path());
  const Config c = parse_config("[model]\ninput = [4]\nlayers = [{ type = \"relu\" }]\n", "x.toml");
  // Every key to_toml writes (so every schema key) has a row.
  std::istringstream lines(to_toml(c));
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    const auto eq = line.find(" = ");
    if (eq == std::string::npos || line[0] == ' ') continue;  // layer lines: checked below
    EXPECT_NE(text.find("| `" + line.substr(0, eq) + "` |"), std::string::npos) << line;
    ++rows;
  }
  EXPECT_GT(rows, 30);
  for (const LayerInfo& info : layer_infos()) {
    EXPECT_NE(text.find("### " + info.type + "\n"), std::string::npos) << info.type;
    for (const KeySpec& k : info.keys) EXPECT_NE(text.find("| `" + k.name + "` |"), std::string::npos) << k.name;
  }
}

TEST(Docs, TomlExamplesParse) {
  const std::string text = testing::read_file(docs_path());
  const std::regex block("```toml\n([\\s\\S]*?)```");
  int n = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), block); it != std::sregex_iterator(); ++it, ++n) {
    try {
      parse_config((*it)[1].str(), "docs/config.md");
    } catch (const Error& e) {
      ADD_FAILURE() << e.what() << "\n" << (*it)[1].str();
    }
  }
  EXPECT_GT(n, 0);
}

// Every docs/<name>.md that a doc, config, source file or script names exists (a config once
// pointed to a page about CIFAR-10 that was never written).
TEST(Docs, EveryNamedDocExists) {
  namespace fs = std::filesystem;
  const fs::path root = testing::source_dir();
  const std::regex named("docs/([A-Za-z0-9_-]+\\.md)");
  const std::set<std::string> kinds = {".md", ".toml", ".cpp", ".h", ".py", ".sh", ".txt"};
  int files = 0;
  for (const char* dir : {"docs", "configs", "src", "include", "cli", "scripts", "bench", "tests", "python"}) {
    if (!fs::is_directory(root / dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      if (!e.is_regular_file() || !kinds.count(e.path().extension().string())) continue;
      ++files;
      const std::string text = testing::read_file(e.path().string());
      for (auto it = std::sregex_iterator(text.begin(), text.end(), named); it != std::sregex_iterator(); ++it)
        EXPECT_TRUE(fs::exists(root / "docs" / (*it)[1].str()))
            << fs::relative(e.path(), root).string() << " names docs/" << (*it)[1].str() << ", which does not exist";
    }
  }
  const std::string readme = testing::read_file((root / "README.md").string());
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), named); it != std::sregex_iterator(); ++it)
    EXPECT_TRUE(fs::exists(root / "docs" / (*it)[1].str())) << "README.md names docs/" << (*it)[1].str();
  EXPECT_GT(files, 100);
}

}  // namespace
}  // namespace gradnet
