#include "progress.h"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace gradnet::cli {

static std::string clock_str(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

ProgressPrinter::ProgressPrinter(bool quiet) : quiet_(quiet), tty_(::isatty(2) == 1) {}

void ProgressPrinter::on_warning(const std::string& w) {
  // "layers.2.weight: update/param ratio 1.9e-01 (step 7) is far above ~1e-3; ..." repeats each epoch
  // with other numbers: print the first of each kind (its text without digits) and say where the rest go.
  std::string kind;
  for (char c : w)
    if (!std::isdigit(static_cast<unsigned char>(c))) kind += c;
  if (!warned_.insert(kind).second) return;
  if (tty_) fmt::print(stderr, "\r\x1b[K");
  fmt::print(stderr, "gradnet: warning: {}{}\n", w,  // shown even with --quiet: it changes what the run means
             warned_.size() == 1 ? " (repeats of a warning are not printed again; every epoch's are in metrics.jsonl)" : "");
}

void ProgressPrinter::on_start(const TrainStart& s) {
  start_ = std::chrono::steady_clock::now();
  if (quiet_) return;
  fmt::print(stderr, "# resolved config ({}/config.toml)\n{}\n", s.run_dir, s.resolved_config);
  fmt::print(stderr,
             "gradnet: run {}\n  data: {} train, {} validation, {} test, {} classes; {} parameters\n"
             "  seed {}, threads {} (BLAS and OpenMP), {} steps per epoch\n"
             "  step 0: train loss {:.4f} (ln {} = {:.4f})\n",
             s.run_dir, s.train_examples, s.val_examples, s.test_examples, s.classes, s.parameters, s.seed,
             s.threads, s.steps_per_epoch, s.initial_train_loss, s.classes, std::log(double(s.classes)));
}

void ProgressPrinter::on_step(const StepProgress& p) {
  epochs_ = p.epochs;
  if (quiet_ || !tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (p.step_in_epoch != p.steps_per_epoch && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double rate = p.epoch_elapsed > 0 ? p.examples_done / p.epoch_elapsed : 0;
  const double frac = static_cast<double>(p.step_in_epoch) / p.steps_per_epoch;
  const double epoch_total = frac > 0 ? p.epoch_elapsed / frac : 0;
  const double eta = epoch_total * (1 - frac) + epoch_total * static_cast<double>(p.epochs - p.epoch);
  const int width = 24;
  const int filled = static_cast<int>(frac * width);
  fmt::print(stderr, "\repoch {}/{} [{}{}] step {}/{} loss {:.4f} {:.0f} ex/s ETA {}\x1b[K", p.epoch, p.epochs,
             std::string(filled, '#'), std::string(width - filled, '.'), p.step_in_epoch, p.steps_per_epoch,
             p.mean_loss, rate, clock_str(eta));
  std::fflush(stderr);
}

void ProgressPrinter::on_epoch(const EpochRecord& r) {
  if (quiet_) return;
  if (tty_) fmt::print(stderr, "\r\x1b[K");
  std::string val = std::isnan(r.val_loss) ? std::string("")
                                           : fmt::format("  val loss {:.4f} acc {:.4f}", r.val_loss, r.val_acc);
  fmt::print(stderr, "epoch {}/{}  lr {:.4g}  train loss {:.4f} acc {:.4f}{}  {:.2f} s ({:.0f} ex/s)\n", r.epoch,
             epochs_, r.lr, r.train_loss, r.train_acc, val, r.seconds, r.examples_per_second);
  if (!r.note.empty()) fmt::print(stderr, "  schedule: {}\n", r.note);
}

}  // namespace gradnet::cli
