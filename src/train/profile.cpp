// The profile's table and JSON (include/gradnet/train/profile.h).
#include "gradnet/train/profile.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/plural.h"

namespace gradnet {

namespace {

struct Row {
  std::string part;
  double seconds;
};

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

// Every timed part of the training steps, in the order a step runs them.
std::vector<Row> step_rows(const RunProfile& p) {
  std::vector<Row> rows;
  rows.push_back({"data (shuffle, gather)", p.data});
  if (p.augment > 0) rows.push_back({"augmentation", p.augment});
  rows.push_back({"zero_grad", p.net.zero_grad});
  for (std::size_t i = 0; i < p.layers.size() && i < p.net.forward.size(); ++i)
    rows.push_back({p.layers[i] + " forward", p.net.forward[i]});
  rows.push_back({"loss forward", p.net.loss_forward});
  rows.push_back({"loss backward", p.net.loss_backward});
  for (std::size_t i = p.layers.size(); i-- > 0;)
    if (i < p.net.backward.size()) rows.push_back({p.layers[i] + " backward", p.net.backward[i]});
  rows.push_back({"optimizer update (" + p.optimizer + ")", p.optimizer_update});
  return rows;
}

}  // namespace

std::string profile_table(const RunProfile& p) {
  const std::vector<Row> steps = step_rows(p);
  double timed = 0;
  for (const Row& r : steps) timed += r.seconds;
  for (const auto& [name, s] : p.callbacks) timed += s;
  timed += p.evaluation;
  const double total = std::max(p.total_seconds, 1e-12);
  const double per_step = p.steps > 0 ? 1e3 / static_cast<double>(p.steps) : 0.0;
  std::string out = fmt::format("profile: {}, {:.3f} s in all ({:.3f} s in the epochs' training loops)\n",
                                count_of(p.steps, "training step"), p.total_seconds, p.epochs_seconds);
  out += fmt::format("  {:<42} {:>10} {:>12} {:>7}\n", "part", "seconds", "ms per step", "share");
  auto line = [&](const std::string& part, double s) {
    out += fmt::format("  {:<42} {:>10.4f} {:>12.4f} {:>6.1f}%\n", part, s, s * per_step, 100.0 * s / total);
  };
  for (const Row& r : steps) line(r.part, r.seconds);
  for (const auto& [name, s] : p.callbacks) line("callback: " + name, s);
  line("evaluation (step 0, validation, test)", p.evaluation);
  line("other (loading, setup, writing files)", std::max(0.0, p.total_seconds - timed));
  const double layers = sum(p.net.forward) + sum(p.net.backward);
  out += fmt::format("  layers forward+backward {:.1f}%, loss {:.1f}%, optimizer {:.1f}%, data {:.1f}% of the run\n",
                     100.0 * layers / total, 100.0 * (p.net.loss_forward + p.net.loss_backward) / total,
                     100.0 * p.optimizer_update / total, 100.0 * (p.data + p.augment) / total);
  return out;
}

std::string profile_json(const RunProfile& p) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < p.layers.size(); ++i)
    layers.push_back({{"layer", p.layers[i]},
                      {"forward", i < p.net.forward.size() ? p.net.forward[i] : 0.0},
                      {"backward", i < p.net.backward.size() ? p.net.backward[i] : 0.0}});
  nlohmann::ordered_json callbacks = nlohmann::ordered_json::object();
  for (const auto& [name, s] : p.callbacks) callbacks[name] = s;
  const nlohmann::ordered_json j = {{"steps", p.steps},
                                    {"total_seconds", p.total_seconds},
                                    {"epochs_seconds", p.epochs_seconds},
                                    {"layers", layers},
                                    {"loss_forward", p.net.loss_forward},
                                    {"loss_backward", p.net.loss_backward},
                                    {"zero_grad", p.net.zero_grad},
                                    {"optimizer", p.optimizer},
                                    {"optimizer_update", p.optimizer_update},
                                    {"data", p.data},
                                    {"augment", p.augment},
                                    {"evaluation", p.evaluation},
                                    {"callbacks", callbacks}};
  return j.dump();
}

}  // namespace gradnet
