// The per-epoch metrics a run can watch (checkpoint.monitor, early_stopping.monitor, the plateau
// schedule's monitor) and which direction is better (Keras's mode: auto, min, max).
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "gradnet/enum_names.h"

namespace gradnet {

enum class Metric { val_loss, val_acc, train_loss, train_acc };
enum class MetricMode { automatic, min, max };  // automatic: accuracies up, losses down

template <>
struct EnumNames<Metric> {
  static constexpr std::array<std::string_view, 4> words = {"val_loss", "val_acc", "train_loss", "train_acc"};
};
template <>
struct EnumNames<MetricMode> {
  static constexpr std::array<std::string_view, 3> words = {"auto", "min", "max"};
};

inline bool is_accuracy(Metric m) { return m == Metric::val_acc || m == Metric::train_acc; }
inline bool is_validation(Metric m) { return m == Metric::val_loss || m == Metric::val_acc; }
// The training counterpart of a validation metric (val_loss -> train_loss), else m.
inline Metric training_counterpart(Metric m) {
  return m == Metric::val_loss ? Metric::train_loss : m == Metric::val_acc ? Metric::train_acc : m;
}
inline bool higher_is_better(Metric m, MetricMode mode) {
  return mode == MetricMode::max || (mode == MetricMode::automatic && is_accuracy(m));
}

// One epoch's figures, as observe() and the callbacks read them; a metric the run does not measure
// (val_* without a validation split) is empty.
struct EpochMetrics {
  std::optional<double> val_loss, val_acc, train_loss, train_acc;
  std::optional<double> get(Metric m) const {
    switch (m) {
      case Metric::val_loss: return val_loss;
      case Metric::val_acc: return val_acc;
      case Metric::train_loss: return train_loss;
      case Metric::train_acc: return train_acc;
    }
    return std::nullopt;
  }
  void set(Metric m, double value) {
    switch (m) {
      case Metric::val_loss: val_loss = value; break;
      case Metric::val_acc: val_acc = value; break;
      case Metric::train_loss: train_loss = value; break;
      case Metric::train_acc: train_acc = value; break;
    }
  }
};

}  // namespace gradnet
