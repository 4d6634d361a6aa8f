// Golden lr sequences (tests/golden/gen_schedules.py -> schedules.json): PyTorch 1.13's schedulers
// stepped once per update (gradnet: schedule.unit = "step"), plateau once per epoch on a fixed
// metric sequence, Caffe's policies from their formulas. Each case's [schedule] keys are read
// through parse_config, so the schema and the validation are exercised too. Relative error < 1e-6.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gradnet/config.h"
#include "gradnet/schedule.h"

namespace {

using nlohmann::json;

const json& golden() {
  static const json j = [] {
    std::ifstream f(GRADNET_SOURCE_DIR "/tests/golden/schedules.json");
    if (!f) throw std::runtime_error("cannot open tests/golden/schedules.json");
    return json::parse(f);
  }();
  return j;
}

std::string toml_value(const json& v) {
  if (v.is_string()) return "\"" + v.get<std::string>() + "\"";
  if (v.is_array()) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i].dump();
    return s + "]";
  }
  if (v.is_number_float()) {
    std::string s = v.dump();
    return s.find_first_of(".eE") == std::string::npos ? s + ".0" : s;
  }
  return v.dump();
}

gradnet::Config config_of(const json& c) {
  std::string text = "[model]\ninput = [2]\nlayers = [{ type = \"linear\", out = 2 }]\n[optimizer]\nlr = " +
                     toml_value(c["base_lr"]) + "\n[schedule]\n";
  for (const auto& [key, value] : c["schedule"].items()) text += key + " = " + toml_value(value) + "\n";
  return gradnet::parse_config(text, c["name"].get<std::string>() + ".toml");
}

double rel_error(double got, double want) { return std::fabs(got - want) / std::max(std::fabs(want), 1e-12); }

}  // namespace

TEST(SchedulesGolden, MatchPyTorchAndCaffe) {
  const json& g = golden();
  ASSERT_GE(g["cases"].size(), 20u);
  double worst = 0;
  for (const json& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const gradnet::Config config = config_of(c);
    const gradnet::Index spe = c["steps_per_epoch"], epochs = c["epochs"];
    auto schedule = gradnet::make_schedule(config.schedule, config.optimizer.lr, spe, epochs);
    const std::vector<double> want = c["lr"];
    double case_worst = 0;
    if (c.contains("metrics")) {  // plateau: lr after each epoch's decision
      const std::vector<double> metrics = c["metrics"];
      for (std::size_t e = 0; e < metrics.size(); ++e) {
        gradnet::EpochMetrics measured;
        measured.set(config.schedule.monitor, metrics[e]);
        schedule->observe(static_cast<gradnet::Index>(e), measured);
        case_worst = std::max(case_worst, rel_error(schedule->lr(0, static_cast<gradnet::Index>(e + 1)), want[e]));
      }
    } else if (c.value("per_epoch", false)) {  // constant within an epoch
      for (gradnet::Index e = 0; e < static_cast<gradnet::Index>(want.size()); ++e)
        for (gradnet::Index s = 0; s < spe; s += spe - 1)
          case_worst = std::max(case_worst, rel_error(schedule->lr(e * spe + s, e), want[e]));
    } else {
      for (gradnet::Index t = 0; t < static_cast<gradnet::Index>(want.size()); ++t)
        case_worst = std::max(case_worst, rel_error(schedule->lr(t, t / spe), want[t]));
    }
    EXPECT_LT(case_worst, 1e-6);
    RecordProperty(c["name"].get<std::string>(), std::to_string(case_worst));
    worst = std::max(worst, case_worst);
  }
  std::printf("largest relative deviation over all cases: %.3g\n", worst);
}

TEST(SchedulesGolden, EveryPolicyHasACase) {
  std::set<std::string> seen;
  for (const json& c : golden()["cases"]) seen.insert(c["schedule"]["policy"].get<std::string>());
  for (const std::string& p : gradnet::schedule_policies()) EXPECT_TRUE(seen.count(p)) << p;
}
