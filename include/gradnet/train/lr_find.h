// The learning-rate range test (Leslie Smith, "Cyclical Learning Rates for Training Neural
// Networks", 2015; fastai's lr_find): `gradnet lr-find CONFIG`.
//
// A fresh net from the config's seed takes `steps` mini-batch updates on the training split
// (the config's batch size, shuffle stream and optimizer; the schedule is not used), the lr of
// update i (i = 0 .. steps−1) swept from start to end:
//   exp:    lr_i = start · (end/start)^(i/(steps−1))
//   linear: lr_i = start + (end − start) · i/(steps−1)
// Each update's loss (on its batch, before the update) is smoothed with a bias-corrected
// exponential moving average (fastai's AvgSmoothLoss, β = 0.98):
//   avg_i = β·avg_{i−1} + (1−β)·loss_i,  avg_{−1} = 0,   smoothed_i = avg_i / (1 − β^(i+1))
// The sweep stops early when smoothed_i > stop_factor × min(smoothed_0..i) ("diverged"), or when
// a loss is NaN/inf ("non_finite"; no update is taken from it); else it runs all steps ("completed").
//
// Suggestions (fastai's rules, on the smoothed curve after fastai's trimming: drop the first
// steps/10 points and the last 5, and everything from the first non-finite point on):
//   valley:   fastai's default rule: the longest run of decreasing loss (the longest decreasing
//             subsequence ending at each point), and the point 1/3 + 1/6 of the way along it.
//   steepest: the lr at the most negative slope d(smoothed)/d(ln lr) (the left end of that segment).
//   min/10:   the lr of the minimum smoothed loss, divided by 10.
// The first suggestion (valley) is "the" suggestion.
#pragma once

#include <string>
#include <vector>

#include "gradnet/config.h"

namespace gradnet {

struct LrFindOptions {
  double start = 1e-7;
  double end = 10;
  Index steps = 100;
  std::string mode = "exp";      // exp | linear
  double beta = 0.98;            // loss smoothing
  double stop_factor = 4.0;      // stop when the smoothed loss exceeds this × its minimum
  std::string config_dir;        // where relative data paths are resolved ("" = the config's dir)
};

struct LrSuggestion {
  std::string rule;      // "valley" | "steepest" | "min/10"
  double lr = 0;         // the suggested learning rate
  Index index = -1;      // the point of the curve it was read from (into LrFindResult::lrs)
  double point_lr = 0;   // that point: lrs[index] (min/10: the minimum's lr, 10 × the suggestion)
  double point_loss = 0; // smoothed[index]
  std::string meaning;   // the rule in words
};

struct LrFindResult {
  LrFindOptions options;
  std::string name;                  // the config's name
  std::string optimizer;             // optimizer.type
  Index batch_size = 0;
  std::vector<double> lrs;           // one per update taken (or attempted, when non_finite)
  std::vector<double> losses;        // the raw mini-batch loss at each lr
  std::vector<double> smoothed;      // the smoothed loss
  std::string stop_reason;           // completed | diverged | non_finite
  std::string stop_detail;           // one sentence with the step and lr
  double stop_lr = 0;                // the lr of the last point (where it diverged, when it did)
  Index best_index = -1;             // the minimum smoothed loss
  std::vector<LrSuggestion> suggestions;  // valley, steepest, min/10; empty when too few points
};

// The lr of every update of the sweep. Error{usage} unless 0 < start < end, steps >= 2 and mode
// is exp or linear.
std::vector<double> lr_sweep(double start, double end, Index steps, const std::string& mode);

// The bias-corrected exponential moving average, one loss at a time (a NaN/inf loss makes every
// later value non-finite, as in fastai).
class LossSmoother {
 public:
  explicit LossSmoother(double beta = 0.98) : beta_(beta) {}
  double add(double loss);  // returns the smoothed value including this loss

 private:
  double beta_;
  double avg_ = 0;
  double beta_pow_ = 1;
};
std::vector<double> smooth_losses(const std::vector<double>& losses, double beta = 0.98);

// The three rules on a smoothed curve (indices into lrs); requested_steps sets fastai's leading
// trim (requested_steps/10). Fewer than 2 points left after trimming: no suggestions.
std::vector<LrSuggestion> suggest_lrs(const std::vector<double>& lrs, const std::vector<double>& smoothed,
                                      Index requested_steps);
// The single rules on an already trimmed, finite curve of at least 2 points; index into it.
LrSuggestion valley_rule(const std::vector<double>& lrs, const std::vector<double>& losses);
LrSuggestion steepest_rule(const std::vector<double>& lrs, const std::vector<double>& losses);
LrSuggestion min_over_10_rule(const std::vector<double>& lrs, const std::vector<double>& losses);

// Runs the sweep (prepare_data, threads, net, optimizer as train() builds them). Error{config}
// for optimizer.type = lbfgs (its line search picks its own step: there is no lr to sweep).
LrFindResult lr_find(const Config& config, const LrFindOptions& options);

// lr_find.png: smoothed loss against lr (log x for exp), the raw loss faint, each suggestion marked.
void plot_lr_find(const std::string& path, const LrFindResult& result);
// lr_find.json as text: options, lrs, losses, smoothed (NaN as null), suggestions, stop reason.
std::string lr_find_json(const LrFindResult& result);

}  // namespace gradnet
