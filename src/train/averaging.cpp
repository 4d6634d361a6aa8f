// Parameter averaging: the EMA of every state tensor after each update, SWA's running mean of the
// params at epoch ends, both checkpointed (TrainState::averages) and evaluated at the end.
#include "gradnet/train/averaging.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/layers/batch_norm.h"
#include "gradnet/rng.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/checkpoint.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/model_io.h"
#include "gradnet/train/trainer.h"
#include "run_dir.h"

namespace gradnet {

void ema_update(std::vector<float>& ema, std::span<const float> w, double decay) {
  const double keep = decay, take = 1.0 - decay;
  for (std::size_t i = 0; i < ema.size(); ++i)
    ema[i] = static_cast<float>(keep * static_cast<double>(ema[i]) + take * static_cast<double>(w[i]));
}

void running_mean_update(std::vector<float>& mean, std::span<const float> w, Index n) {
  const double inv = 1.0 / static_cast<double>(n + 1);
  for (std::size_t i = 0; i < mean.size(); ++i) {
    const double m = mean[i];
    mean[i] = static_cast<float>(m + (static_cast<double>(w[i]) - m) * inv);
  }
}

void recompute_batch_norm(Net<float>& net, const Dataset& data, Index batch_rows, std::uint64_t seed) {
  std::vector<std::pair<BatchNormLayer<float>*, double>> norms;  // each layer and its own momentum
  for (Index i = 0; i < net.num_layers(); ++i)
    if (auto* bn = dynamic_cast<BatchNormLayer<float>*>(&net.layer(i)); bn && !bn->buffers().empty())
      norms.emplace_back(bn, bn->momentum());
  if (norms.empty() || data.size() == 0) return;
  for (auto& [bn, momentum] : norms) {
    std::span<Buffer<float>> b = bn->buffers();
    b[0].value.fill(0.0f);  // running_mean
    b[1].value.fill(1.0f);  // running_var
  }
  Rng rng = Rng::stream(seed, "update_bn");
  const Index batch = std::max<Index>(1, std::min(batch_rows, net.max_batch()));
  std::vector<float> scratch;
  Index k = 0;
  for (Index begin = 0; begin < data.size(); begin += batch, ++k) {
    for (auto& [bn, momentum] : norms) bn->set_momentum(1.0 / static_cast<double>(k + 1));
    net.forward(data.rows(begin, std::min(batch, data.size() - begin), scratch), StepContext{Mode::train, &rng});
  }
  for (auto& [bn, momentum] : norms) bn->set_momentum(momentum);
}

namespace {

// One average of some of the net's state tensors (by name), as "average.<kind>.<name>" in checkpoints.
struct Average {
  std::string kind;                       // "ema" or "swa"
  std::vector<std::string> names;
  std::vector<std::vector<float>> values;  // empty until the first model is taken

  void take(Net<float>& net, const std::function<void(std::vector<float>&, std::span<const float>)>& combine) {
    const auto state = net.state_tensors();
    std::size_t k = 0;
    const bool first = values.empty();
    for (const auto& [name, t] : state) {
      if (k >= names.size() || names[k] != name) continue;
      if (first) values.push_back(t->to_vector());
      else combine(values[k], t->values());
      ++k;
    }
  }
};

class AveragingCallback final : public TrainerCallback {
 public:
  explicit AveragingCallback(Trainer& t);
  std::string_view name() const override { return "parameter averaging"; }
  void on_run_begin(Trainer& t) override;
  void after_update(Trainer& t, const StepEvent&) override {
    if (!ema_) return;
    TrainState& st = t.state();
    ema_->take(t.net(), [&](std::vector<float>& a, std::span<const float> w) { ema_update(a, w, decay_); });
    ++st.ema_updates;
  }
  void on_epoch_end(Trainer& t, const EpochRecord& r) override {
    if (!swa_ || r.epoch < t.config().train.swa_start) return;
    TrainState& st = t.state();
    const Index n = st.swa_models;
    swa_->take(t.net(), [n](std::vector<float>& a, std::span<const float> w) { running_mean_update(a, w, n); });
    ++st.swa_models;
  }
  void before_checkpoint(Trainer& t) override;
  void on_train_end(Trainer& t) override;

 private:
  AveragedResult evaluate_average(Trainer& t, const Average& a, Index count);
  double decay_ = 0;
  std::optional<Average> ema_, swa_;
};

AveragingCallback::AveragingCallback(Trainer& t) : decay_(t.config().train.ema_decay) {
  if (decay_ > 0) {
    ema_.emplace();
    ema_->kind = "ema";  // every state tensor: batch-norm running statistics too (timm's ModelEmaV2)
    for (const auto& [name, tensor] : t.net().state_tensors()) ema_->names.push_back(name);
  }
  if (t.config().train.swa_start > 0) {
    swa_.emplace();
    swa_->kind = "swa";  // params only: batch-norm statistics are recomputed at the end (update_bn)
    std::vector<std::string> params;
    for (const Param<float>* p : t.net().params()) params.push_back(p->name);
    for (const auto& [name, tensor] : t.net().state_tensors())  // in state_tensors' order, as take() walks them
      if (std::find(params.begin(), params.end(), name) != params.end()) swa_->names.push_back(name);
  }
}

// A resumed run continues the averages its checkpoint holds.
void AveragingCallback::on_run_begin(Trainer& t) {
  if (!t.resumed()) return;
  const TrainState& st = t.state();
  for (Average* a : {ema_ ? &*ema_ : nullptr, swa_ ? &*swa_ : nullptr}) {
    if (!a || (a->kind == "ema" ? st.ema_updates : st.swa_models) == 0) continue;
    a->values.clear();
    for (const std::string& name : a->names) {
      const auto it = std::find_if(st.averages.begin(), st.averages.end(),
                                   [&](const NamedTensor& nt) { return nt.name == a->kind + "." + name; });
      GRADNET_CHECK(it != st.averages.end(), checkpoint, "{}: tensor 'average.{}.{}' is missing (the run's {} average)",
                    t.resumed_from(), a->kind, name, a->kind);
      a->values.push_back(it->data);
    }
  }
}

void AveragingCallback::before_checkpoint(Trainer& t) {
  TrainState& st = t.state();
  st.averages.clear();
  const auto state = t.net().state_tensors();
  for (const Average* a : {ema_ ? &*ema_ : nullptr, swa_ ? &*swa_ : nullptr}) {
    if (!a) continue;
    for (std::size_t k = 0; k < a->values.size(); ++k) {
      const auto it = std::find_if(state.begin(), state.end(), [&](const auto& s) { return s.first == a->names[k]; });
      st.averages.push_back({a->kind + "." + a->names[k], it->second->shape(), a->values[k]});
    }
  }
}

// The averaged weights in the net (SWA: batch-norm statistics recomputed), evaluated on the
// validation and test splits and saved as RUNDIR/<kind>.safetensors; then the raw weights back.
AveragedResult AveragingCallback::evaluate_average(Trainer& t, const Average& a, Index count) {
  Net<float>& net = t.net();
  const auto state = net.state_tensors();
  std::vector<std::vector<float>> raw;
  for (const auto& [name, tensor] : state) raw.push_back(tensor->to_vector());
  std::size_t k = 0;
  for (const auto& [name, tensor] : state)
    if (k < a.names.size() && a.names[k] == name) tensor->set_values(a.values[k++]);
  const TrainConfig& tc = t.config().train;
  if (a.kind == "swa") recompute_batch_norm(net, t.splits().train, tc.batch_size, tc.seed);
  AveragedResult r;
  r.kind = a.kind;
  r.averaged = count;
  r.path = t.run_dir().file(a.kind + ".safetensors");
  const Index rows = eval_pass_rows(tc, net);
  if (t.splits().val.size() > 0) {
    const EvalResult val = evaluate(net, t.splits().val, rows);
    r.val_accuracy = val.accuracy;
    r.val_loss = val.loss;
  }
  const EvalResult test = evaluate(net, t.splits().test, rows);
  r.test_accuracy = test.accuracy;
  r.test_loss = test.loss;
  SafetensorsFile file = net_to_safetensors(net, t.classes());
  file.metadata["averaged"] = a.kind;
  file.metadata["models"] = std::to_string(count);
  if (a.kind == "ema") file.metadata["ema_decay"] = fmt::format("{}", decay_);
  t.run_dir().guarded([&] { write_safetensors(r.path, file); });
  for (std::size_t i = 0; i < state.size(); ++i) state[i].second->set_values(raw[i]);
  return r;
}

void AveragingCallback::on_train_end(Trainer& t) {
  const TrainState& st = t.state();
  if (ema_ && !ema_->values.empty()) t.summary().averaged.push_back(evaluate_average(t, *ema_, st.ema_updates));
  if (swa_ && !swa_->values.empty()) t.summary().averaged.push_back(evaluate_average(t, *swa_, st.swa_models));
}

}  // namespace

void add_averaged_json(nlohmann::json& j, const Summary& summary) {
  for (const AveragedResult& a : summary.averaged) {
    j[a.kind + "_test_accuracy"] = a.test_accuracy;
    j[a.kind + "_test_loss"] = a.test_loss;
    j[a.kind + "_val_accuracy"] = std::isnan(a.val_accuracy) ? nlohmann::json(nullptr) : nlohmann::json(a.val_accuracy);
    j[a.kind + "_val_loss"] = std::isnan(a.val_loss) ? nlohmann::json(nullptr) : nlohmann::json(a.val_loss);
    j[a.kind == "ema" ? "ema_updates" : "swa_models"] = a.averaged;
  }
}

std::unique_ptr<TrainerCallback> make_averaging_callback(Trainer& trainer) {
  const TrainConfig& tc = trainer.config().train;
  if (tc.ema_decay <= 0 && tc.swa_start <= 0) return nullptr;
  return std::make_unique<AveragingCallback>(trainer);
}

}  // namespace gradnet
