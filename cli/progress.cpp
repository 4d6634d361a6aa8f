#include "progress.h"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "gradnet/plural.h"

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

// The changed keys, joined and wrapped at about 100 columns under a 4-space indent.
static std::string wrapped(const std::vector<std::string>& items) {
  std::string out, line;
  for (const std::string& item : items) {
    if (!line.empty() && line.size() + item.size() > 96) {
      out += "    " + line + ",\n";
      line.clear();
    }
    line += (line.empty() ? "" : ", ") + item;
  }
  return line.empty() ? out : out + "    " + line + "\n";
}

void ProgressPrinter::on_start(const TrainStart& s) {
  start_ = std::chrono::steady_clock::now();
  for (const std::string& note : s.notes) fmt::print(stderr, "gradnet: note: {}\n", note);  // even with --quiet
  if (quiet_) return;
  std::string h;
  if (!s.resumed_from.empty()) {
    h += fmt::format("gradnet: resuming {} from checkpoint {} at epoch {}, step {}{}; training to epoch {}\n", s.run_dir,
                     s.resumed_from, s.start_epoch, s.start_step,
                     s.mid_epoch ? fmt::format(" (part-way through epoch {})", s.start_epoch + 1) : "", s.epochs);
  } else {
    h += fmt::format("gradnet: run {}\n", s.run_dir);
  }
  h += fmt::format("  data: {} train, {} validation, {} test; {}\n", s.train_examples, s.val_examples, s.test_examples,
                   count_of(s.classes, "class", "classes"));
  h += fmt::format("  net: input {}\n", shape_str(s.input));
  for (const LayerSummary& l : s.layers) {
    const std::string line = fmt::format("    {:<10} {:<16} -> {:<14} {:>14}", l.name, l.type, shape_str(l.output),
                                         l.parameters ? count_of(l.parameters, "param") : "");
    h += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
  }
  h += fmt::format("    {} in all\n", count_of(s.parameters, "parameter"));
  h += fmt::format("  training: {}\n", s.training);
  if (!s.changed.empty()) h += "  set (differs from the defaults):\n" + wrapped(s.changed);
  h += fmt::format("  full config: {}/config.toml\n", s.run_dir);
  // A resumed run's step 0 was logged when it started; only a fresh run measures it now.
  // An autoencoder (model.target = "input" in the resolved config) has no classes to compare with.
  const bool reconstruction = s.resolved_config.find("\ntarget = \"input\"") != std::string::npos;
  if (s.resumed_from.empty() && reconstruction)
    h += fmt::format("  step 0: train loss {:.4f} (reconstruction)\n", s.initial_train_loss);
  else if (s.resumed_from.empty())
    h += fmt::format("  step 0: train loss {:.4f} (ln {} = {:.4f})\n", s.initial_train_loss, s.classes,
                     std::log(double(s.classes)));
  fmt::print(stderr, "{}", h);
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
  // A reconstruction model (model.target = "input") has no accuracy: its losses alone.
  auto acc = [](double a) { return std::isnan(a) ? std::string("") : fmt::format(" acc {:.4f}", a); };
  std::string val = std::isnan(r.val_loss) ? std::string("")
                                           : fmt::format("  val loss {:.4f}{}", r.val_loss, acc(r.val_acc));
  fmt::print(stderr, "epoch {}/{}  lr {:.4g}  train loss {:.4f}{}{}  {:.2f} s ({:.0f} ex/s)\n", r.epoch,
             epochs_, r.lr, r.train_loss, acc(r.train_acc), val, r.seconds, r.examples_per_second);
  if (!r.note.empty()) fmt::print(stderr, "  schedule: {}\n", r.note);
}

}  // namespace gradnet::cli
