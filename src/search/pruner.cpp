#include "pruner.h"

#include <algorithm>

#include <fmt/format.h>

namespace gradnet::search {
namespace {

bool better(double a, double b, bool maximize) { return maximize ? a > b : a < b; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ASHA's rungs: warmup x reduction^k epochs.
bool is_rung(const PrunerSpec& p, std::int64_t epoch) {
  for (std::int64_t r = p.warmup_epochs; r <= epoch; r *= p.reduction)
    if (r == epoch) return true;
  return false;
}

}  // namespace

std::string epoch_metric(const std::string& objective) {
  if (objective == "test_accuracy") return "val_accuracy";
  if (objective == "test_loss") return "val_loss";
  return objective;
}

std::string prune_decision(const PrunerSpec& p, const std::string& metric, bool maximize, std::int64_t epoch,
                           double best_so_far, double current, std::vector<double> others) {
  if (p.type == "none" || epoch < p.warmup_epochs) return "";
  if (p.type == "median") {
    if (static_cast<std::int64_t>(others.size()) < p.min_trials) return "";
    const double m = median(others);
    if (!better(m, best_so_far, maximize)) return "";
    return fmt::format("pruned: {} {:.4g} (best so far) {} the median {:.4g} of {} other trials at epoch {}", metric,
                       best_so_far, maximize ? "below" : "above", m, others.size(), epoch);
  }
  // asha: at a rung, go on only within the top 1/reduction of the trials that reached it
  if (!is_rung(p, epoch) || static_cast<std::int64_t>(others.size()) + 1 < p.min_trials) return "";
  const auto n = static_cast<std::int64_t>(others.size()) + 1;
  const std::int64_t keep = std::max<std::int64_t>(1, n / p.reduction);
  const auto ahead = std::count_if(others.begin(), others.end(), [&](double v) { return better(v, current, maximize); });
  if (ahead < keep) return "";
  return fmt::format("pruned: {} {:.4g} at rung epoch {} is not in the top {} of {} trials (reduction {})", metric,
                     current, epoch, keep, n, p.reduction);
}

}  // namespace gradnet::search
