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

TEST(CliGradcheck, ReportsFailureWithExit1WhenToleranceIsImpossible) {
  // A tolerance no finite difference can meet shows the command really compares and can fail.
  CliResult r = run_gradnet({"gradcheck", source_dir() + "/configs/mnist-mlp.toml", "--tolerance", "1e-30"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("FAILED"), std::string::npos) << r.out;
}
