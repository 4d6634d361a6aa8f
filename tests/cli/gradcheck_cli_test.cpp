// `gradnet gradcheck`: every tensor of every layer, the loss and the input, in double.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace gradnet::testing;

namespace {

nlohmann::json last_json(const std::string& out) {
  auto pos = out.rfind('{', out.find_last_not_of("\n"));
  while (pos != std::string::npos && pos > 0 && out[pos - 1] != '\n') pos = out.rfind('{', pos - 1);
  return nlohmann::json::parse(out.substr(pos));
}

}  // namespace

TEST(CliGradcheck, SeedConfigPassesBelow1e7) {
  CliResult r = run_gradnet({"gradcheck", source_dir() + "/configs/mnist-mlp.toml", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = last_json(r.out);
  EXPECT_TRUE(j["passed"].get<bool>());
  EXPECT_LT(j["max_rel_error"].get<double>(), 1e-7);
  std::vector<std::string> names;
  for (const auto& t : j["tensors"]) names.push_back(t["name"]);
  for (const char* want : {"loss softmax_cross_entropy (dL/dlogits)", "layers.0.weight", "layers.0.bias",
                           "layers.2.weight", "layers.4.bias", "input"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

TEST(CliGradcheck, EveryLayerTypeAndLossInOneNet) {
  TempDir tmp;
  for (const char* loss : {"softmax_cross_entropy", "mse"}) {
    write_file(tmp / "all.toml", std::string("name = \"all\"\n[model]\ninput = [12]\nloss = \"") + loss +
                                     "\"\nlayers = [\n"
                                     "  { type = \"linear\", out = 10, init = \"kaiming_normal\" }, { type = \"relu\" },\n"
                                     "  { type = \"linear\", out = 9, init = \"xavier_normal\" }, { type = \"leaky_relu\", slope = 0.1 },\n"
                                     "  { type = \"linear\", out = 8 }, { type = \"sigmoid\" },\n"
                                     "  { type = \"linear\", out = 7 }, { type = \"tanh\" },\n"
                                     "  { type = \"linear\", out = 5, bias_init = \"fan_in_uniform\" }, { type = \"identity\" },\n"
                                     "]\n");
    CliResult r = run_gradnet({"gradcheck", tmp / "all.toml", "--json", "--batch", "6", "--max-elements", "0"});
    ASSERT_EQ(r.exit_code, 0) << loss << "\n" << r.out << r.err;
    auto j = last_json(r.out);
    EXPECT_LT(j["max_rel_error"].get<double>(), 1e-7) << loss;
    long checked = 0;
    for (const auto& t : j["tensors"]) checked += t["checked"].get<long>();
    EXPECT_GT(checked, 400) << "almost nothing was checked";
  }
}

// The tolerance judges relative errors beyond rounding noise (the rule sanity shares, gradcheck.h):
// an impossible tolerance leaves only elements whose absolute error is rounding, which are counted.
TEST(CliGradcheck, ToleranceAppliesBeyondRoundingNoise) {
  CliResult r = run_gradnet({"gradcheck", source_dir() + "/configs/mnist-mlp.toml", "--tolerance", "1e-30", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("within rounding noise"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");  // -q: no progress
}

// A zero-initialised linear layer before a relu: every relu input is exactly 0, so every
// perturbation of that layer crosses the kink at every step. Nothing checked is not "good".
TEST(CliGradcheck, ATensorWithNothingCheckedIsNotVerifiedAndFails) {
  TempDir tmp;
  write_file(tmp / "dead.toml", "name = \"dead\"\n[model]\ninput = [4]\nlayers = [\n"
                                "  { type = \"linear\", out = 3, init = \"zeros\" }, { type = \"relu\" },\n"
                                "  { type = \"linear\", out = 2 },\n]\n");
  CliResult r = run_gradnet({"gradcheck", tmp / "dead.toml"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("0 of 12"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not verified (all skipped at kinks, even at the smallest step)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NOT VERIFIED: 2 tensors with no element checked"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("gradcheck: [1/5] layers.0.weight (12 of 12 elements)"), std::string::npos) << r.err;
  const CliResult j = run_gradnet({"gradcheck", tmp / "dead.toml", "--json", "-q"});
  const auto report = last_json(j.out);
  EXPECT_FALSE(report["passed"].get<bool>());
  EXPECT_EQ(report["unverified"], 2);
  for (const auto& t : report["tensors"])
    if (t["name"] == "layers.0.weight") EXPECT_EQ(t["verdict"], "not verified");
}
