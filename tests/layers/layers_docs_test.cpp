// docs/layers.md is layers_reference_markdown() with the cases of tests/golden/layer_cases.json:
// every registered type, in step with the registry and the case table. GRADNET_UPDATE_DOCS=1
// rewrites the file instead of failing.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "gradnet/layer_registry.h"
#include "gradnet/loss.h"
#include "layer_cases.h"
#include "test_support.h"

namespace gradnet {
namespace {

using nlohmann::json;

std::string docs_path() { return testing::source_dir() + "/docs/layers.md"; }

std::string tolerances(const json& cases) {
  std::set<std::string> distinct;
  for (const json& c : cases) distinct.insert(testing::tolerance_text(c.at("tolerance")));
  return fmt::format("{}", fmt::join(distinct, "; "));
}

// Per type (and loss): its cases, as docs/layers.md lists them.
std::map<std::string, LayerChecks> checks_from_the_case_table() {
  std::map<std::string, LayerChecks> out;
  for (const auto& [type, entry] : testing::layer_case_table().at("layers").items()) {
    LayerChecks& c = out[type];
    c.gradcheck_tolerance = testing::number_text(testing::kGradcheckTolerance);
    for (const json& g : entry.at("gradcheck")) c.gradcheck.push_back(testing::gradcheck_case_text(type, g));
    if (entry.contains("golden_exempt")) {
      c.golden_exempt = entry.at("golden_exempt");
      continue;
    }
    c.golden_tolerance = tolerances(entry.at("golden"));
    for (const json& g : entry.at("golden")) c.golden.push_back(testing::golden_case_text(type, g));
  }
  for (const auto& [loss, cases] : testing::layer_case_table().at("losses").items()) {
    LayerChecks& c = out[loss];
    c.golden_tolerance = tolerances(cases);
    for (const json& g : cases) {
      const std::string note = g.at("note");
      const Index k = g.at("classes").get<Index>();
      if (g.contains("targets"))  // an autoencoder's dense targets (model.target = "input")
        c.golden.push_back(fmt::format("batch {}, {} dense targets per example ({}); compares the loss, "
                                       "dL/dlogits and predict()", g.at("targets").size(), k, note));
      else
        c.golden.push_back(fmt::format("batch {}, {} classes ({}); compares the loss, dL/dlogits and predict()",
                                       g.at("labels").size(), k, note));
    }
  }
  return out;
}

TEST(LayersDocs, LayersMdIsInStepWithTheRegistry) {
  const std::string expected = layers_reference_markdown(checks_from_the_case_table());
  if (std::getenv("GRADNET_UPDATE_DOCS")) testing::write_file(docs_path(), expected);
  const std::string actual = testing::read_file(docs_path());
  EXPECT_TRUE(actual == expected)
      << "docs/layers.md is out of step with the layer registry or the case table; regenerate it with\n"
         "  GRADNET_UPDATE_DOCS=1 build/tests/gradnet_layers_tests --gtest_filter='LayersDocs.*'";
}

TEST(LayersDocs, EveryTypeKeyAndLossAppears) {
  const std::string text = testing::read_file(docs_path());
  for (const LayerInfo& info : layer_infos()) {
    EXPECT_NE(text.find("\n### " + info.type + "\n"), std::string::npos) << info.type;
    for (const KeySpec& k : info.keys) EXPECT_NE(text.find("| `" + k.name + "` |"), std::string::npos) << k.name;
  }
  for (const std::string& loss : loss_types()) EXPECT_NE(text.find("| " + loss + " |"), std::string::npos) << loss;
}

// Links from layers.md to other docs, and from every doc to layers.md#anchor, land on a heading.
TEST(LayersDocs, LinksResolve) {
  namespace fs = std::filesystem;
  const auto anchors_of = [](const std::string& text) {
    std::set<std::string> anchors;  // GitHub's: lower case, spaces to '-', punctuation dropped
    const std::regex heading("(^|\n)#+ ([^\n]*)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), heading); it != std::sregex_iterator(); ++it) {
      std::string a;
      for (unsigned char ch : (*it)[2].str()) {
        if (std::isalnum(ch) || ch == '_' || ch == '-' || ch >= 0x80) a += static_cast<char>(std::tolower(ch));
        else if (ch == ' ') a += '-';
      }
      anchors.insert(a);
    }
    return anchors;
  };
  const std::string docs = testing::source_dir() + "/docs/";
  const std::regex link("\\]\\(([a-z0-9_.-]+\\.md)(#[^)]*)?\\)");
  int checked = 0;
  for (const auto& file : fs::directory_iterator(docs)) {
    if (file.path().extension() != ".md") continue;
    const std::string text = testing::read_file(file.path().string());
    const bool from_layers = file.path().filename() == "layers.md";
    for (auto it = std::sregex_iterator(text.begin(), text.end(), link); it != std::sregex_iterator(); ++it) {
      const std::string target = (*it)[1].str(), anchor = (*it)[2].str();
      if (!from_layers && target != "layers.md") continue;
      ASSERT_TRUE(fs::exists(docs + target)) << file.path() << " links to " << target;
      if (!anchor.empty())
        EXPECT_EQ(anchors_of(testing::read_file(docs + target)).count(anchor.substr(1)), 1u)
            << file.path().filename() << " links to " << target << anchor;
      ++checked;
    }
  }
  const std::string layers = testing::read_file(docs + "layers.md");
  const std::set<std::string> own = anchors_of(layers);
  const std::regex local("\\]\\(#([^)]*)\\)");
  for (auto it = std::sregex_iterator(layers.begin(), layers.end(), local); it != std::sregex_iterator();
       ++it, ++checked)
    EXPECT_EQ(own.count((*it)[1].str()), 1u) << "layers.md links to #" << (*it)[1].str();
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace gradnet
