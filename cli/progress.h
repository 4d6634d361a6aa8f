// Progress on stderr: a live bar on a terminal (epoch, step, loss, examples/s, ETA), plain
// lines (one per epoch) otherwise.
#pragma once

#include <chrono>
#include <set>
#include <string>

#include "gradnet/train/trainer.h"

namespace gradnet::cli {

class ProgressPrinter : public TrainCallbacks {
 public:
  explicit ProgressPrinter(bool quiet);
  void on_warning(const std::string& w) override;
  void on_start(const TrainStart& s) override;
  void on_step(const StepProgress& p) override;
  void on_epoch(const EpochRecord& r) override;

 private:
  bool quiet_;
  bool tty_;
  Index batch_examples_ = 0;
  std::int64_t epochs_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point start_{};
  double train_seconds_ = 0;
  std::set<std::string> warned_;  // a monitor warning is printed once per kind; every epoch's are in metrics.jsonl
};

}  // namespace gradnet::cli
