// diagnose_fit: the train/validation curves in words (CS231n's "monitor the gap": a big gap
// between training and validation accuracy means overfitting, a validation loss that turns
// up while the training loss keeps falling is the classic picture of it).
#include <cmath>

#include <fmt/format.h>

#include "gradnet/report.h"

namespace gradnet {

namespace {

constexpr double kRise = 0.02;       // validation loss this far (relative) above its minimum: it rose
constexpr double kAccGap = 0.03;     // 3 accuracy points
constexpr double kLossGapRel = 0.2;  // loss gap relative to the training loss ...
constexpr double kLossGapMin = 0.05; // ... and at least this much

std::string pts(double gap) { return fmt::format("{:.1f}", gap * 100); }

}  // namespace

FitDiagnosis diagnose_fit(const std::vector<FitPoint>& epochs) {
  FitDiagnosis d;
  if (epochs.empty()) {
    d.text = "No epochs were recorded (metrics.jsonl is empty or missing).";
    return d;
  }
  if (epochs.back().epoch <= 0) {
    d.text = "No epoch finished: only the measurement before training exists, so there is nothing to compare.";
    return d;
  }
  const FitPoint& last = epochs.back();
  std::vector<const FitPoint*> val;
  for (const FitPoint& p : epochs)
    if (std::isfinite(p.val_loss)) val.push_back(&p);
  if (val.empty()) {
    d.verdict = FitVerdict::no_validation;
    d.text = "This run has no validation split (data.validation = 0), so the gap between training and held-out "
             "data cannot be measured; set data.validation to see it.";
    return d;
  }
  const FitPoint* best = val.front();
  for (const FitPoint* p : val)
    if (p->val_loss < best->val_loss) best = p;
  d.best_epoch = best->epoch;
  d.loss_gap = last.val_loss - last.train_loss;
  d.acc_gap = last.train_acc - last.val_acc;
  const bool train_fell = last.train_loss < best->train_loss;
  const bool rose = best->epoch < last.epoch && last.val_loss > best->val_loss * (1 + kRise);
  const bool acc_gap = std::isfinite(d.acc_gap) && d.acc_gap > kAccGap;
  const bool loss_gap = d.loss_gap > std::max(kLossGapMin, kLossGapRel * std::fabs(last.train_loss));
  const std::string gaps =
      fmt::format("{:.3f} in loss{}", d.loss_gap,
                  std::isfinite(d.acc_gap) ? fmt::format(" and {} accuracy points", pts(d.acc_gap)) : "");

  if (rose && train_fell) {
    d.verdict = FitVerdict::overfitting;
    d.text = fmt::format(
        "Validation loss stopped improving at epoch {} ({:.4f}) and was {:.4f} by epoch {}, while training loss "
        "kept falling ({:.4f} → {:.4f}): the gap of {} between training and validation suggests overfitting. "
        "Consider L2 weight decay (optimizer.weight_decay), dropout, more data or augmentation, or early stopping "
        "([early_stopping], which would have kept the weights of epoch {}).",
        best->epoch, best->val_loss, last.val_loss, last.epoch, best->train_loss, last.train_loss, gaps,
        best->epoch);
  } else if (acc_gap || loss_gap) {
    d.verdict = FitVerdict::gap;
    d.text = fmt::format(
        "Validation loss is {} (best {:.4f} at epoch {}), but training is ahead of validation by {}: the model "
        "fits its training data better than new data. Not overfitting yet in the sense of a rising validation "
        "loss; if the gap keeps growing, L2 weight decay, dropout or more data will help.",
        best->epoch == last.epoch ? "at its lowest at the last epoch" : fmt::format("{:.4f} at the last epoch", last.val_loss),
        best->val_loss, best->epoch, gaps);
  } else {
    const FitPoint& prev = epochs.size() >= 2 ? epochs[epochs.size() - 2] : last;
    const bool still_falling = epochs.size() >= 2 && last.train_loss < prev.train_loss * 0.99 &&
                               std::isfinite(prev.val_loss) && last.val_loss < prev.val_loss;
    d.verdict = still_falling ? FitVerdict::still_improving : FitVerdict::good;
    std::string text = fmt::format(
        "No sign of overfitting: at the last epoch validation loss is {:.4f} (best {:.4f} at epoch {}) and the "
        "gap to training is {}.",
        last.val_loss, best->val_loss, best->epoch, gaps);
    if (d.loss_gap < 0 || (std::isfinite(d.acc_gap) && d.acc_gap < 0))
      text += " Validation is even ahead of training: the training numbers are running means over each epoch "
              "(taken while the weights were still improving, with dropout or augmentation active), the validation "
              "numbers come from the end of the epoch.";
    if (still_falling)
      text += " Both losses were still falling in the last epoch, so more epochs (or a larger learning rate or "
              "model) would probably help: the model is not yet fitting as well as it could.";
    d.text = text;
  }
  return d;
}

}  // namespace gradnet
