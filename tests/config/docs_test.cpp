// docs/config.md is config_reference_markdown(): every key of the schema, in step with it; its
// TOML examples parse. GRADNET_UPDATE_DOCS=1 rewrites the file instead of failing.
#include "gradnet/config.h"

#include <cstdlib>
#include <regex>

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

}  // namespace
}  // namespace gradnet
