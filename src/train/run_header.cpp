#include "run_header.h"

#include <fmt/format.h>

#include "gradnet/data/dataset.h"
#include "gradnet/plural.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/checkpoint.h"

namespace gradnet {

namespace {

// "sgd lr 0.1; schedule cosine per step, warm-up 100 steps; batch 128; 10 epochs of 430 steps;
// seed 1; 2 threads": the settings that decide a run's numbers, whatever they are.
std::string training_line(Trainer& t) {
  const Config& c = t.config();
  const ScheduleConfig& s = c.schedule;
  std::string line = fmt::format("{} lr {:g}", name_of(c.optimizer.type()), c.optimizer.lr);
  if (c.optimizer.lr_scaling != LrScaling::none)
    line += fmt::format(" (lr_scaling {})", name_of(c.optimizer.lr_scaling));
  line += fmt::format("; schedule {}", name_of(s.policy));
  if (s.policy != Policy::fixed && s.policy != Policy::plateau) line += fmt::format(" per {}", name_of(s.unit));
  if (s.warmup_steps > 0) line += fmt::format(", warm-up {}", count_of(s.warmup_steps, "step"));
  if (s.warmup_epochs > 0) line += fmt::format(", warm-up {}", count_of(s.warmup_epochs, "epoch"));
  const TrainConfig& tc = c.train;
  line += fmt::format("; batch {}{}", t.full_batch() ? t.splits().train.size() : tc.batch_size,
                      tc.batch_sizes.empty() ? "" : fmt::format(" (then {})", fmt::join(tc.batch_sizes, ", ")));
  line += fmt::format("; {} of {}; seed {}; {}", count_of(tc.epochs, "epoch"), count_of(t.steps_per_epoch(), "step"),
                      tc.seed, count_of(t.threads(), "thread"));
  return line;
}

}  // namespace

TrainStart describe_run_start(Trainer& t) {
  const Splits& s = t.splits();
  const TrainState& st = t.state();
  Net<float>& net = t.net();
  TrainStart start;
  start.run_dir = t.run_path();
  start.resolved_config = t.resolved_config();
  start.train_examples = s.train.size();
  start.val_examples = s.val.size();
  start.test_examples = s.test.size();
  start.classes = t.classes();
  start.parameters = net.parameter_count();
  start.threads = t.threads();
  start.seed = t.config().train.seed;
  start.initial_train_loss = st.initial_loss;
  start.steps_per_epoch = t.steps_per_epoch();
  start.input = net.input_shape();
  for (Index i = 0; i < net.num_layers(); ++i) {
    Index params = 0;
    for (const Param<float>& p : net.layer(i).params()) params += p.value.size();
    start.layers.push_back(
        {fmt::format("layers.{}", i), std::string(net.layer(i).type()), net.layer_output_shape(i), params});
  }
  start.training = training_line(t);
  start.changed = changed_keys(t.config());
  start.resumed_from = t.resumed_from();
  start.start_epoch = st.epoch;
  start.start_step = st.step;
  start.mid_epoch = t.resumed() && st.position > 0;
  start.epochs = t.config().train.epochs;
  if (t.summary().init_from && !t.resumed()) start.notes = init_report_notes(*t.summary().init_from);
  return start;
}

}  // namespace gradnet
