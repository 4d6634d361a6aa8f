// gradnet eval RUNDIR|MODEL [--split test|val] [--json]
#include <fmt/format.h>

#include "commands.h"
#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/model_io.h"

namespace gradnet::cli {

namespace {
struct EvalArgs {
  std::string target;
  std::string split = "test";
  bool json = false;
};

void print_confusion(const EvalResult& r) {
  const std::size_t k = r.confusion.size();
  fmt::print("confusion matrix (rows: true class, columns: predicted)\n      ");
  for (std::size_t j = 0; j < k; ++j) fmt::print("{:>6}", j);
  fmt::print("\n");
  for (std::size_t i = 0; i < k; ++i) {
    fmt::print("{:>6}", i);
    for (std::size_t j = 0; j < k; ++j) fmt::print("{:>6}", r.confusion[i][j]);
    fmt::print("\n");
  }
}
}  // namespace

Command add_eval(CLI::App& root) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* app = root.add_subcommand("eval", "Evaluate a trained run on its test (or validation) split");
  app->add_option("target", args->target, "A run directory made by `gradnet train`, or its model.safetensors")
      ->required();
  app->add_option("--split", args->split, "Which split: test or val")->check(CLI::IsMember({"test", "val"}));
  app->add_flag("--json", args->json, "Print the results as one JSON object, the last line on stdout");
  return {app, [args] {
            LoadedModel m = load_model(args->target, 1000);
            // The same data, split and seed as training; the normalization fitted then.
            Splits splits = load_splits(m.config.data, m.run_dir, m.config.train.seed);
            Dataset& data = args->split == "test" ? splits.test : splits.val;
            GRADNET_CHECK(data.size() > 0, usage, "{}: the {} split is empty (train.validation = 0?)", m.run_dir,
                          args->split);
            GRADNET_CHECK(data.features() == numel(m.net->input_shape()), shape,
                          "{} gives {} features per example, the model takes {}", data.source, data.features(),
                          numel(m.net->input_shape()));
            m.normalizer.apply(data);
            const EvalResult r = evaluate(*m.net, data, m.config.train.eval_batch_size);
            std::vector<double> per_class;
            for (std::size_t c = 0; c < r.confusion.size(); ++c) {
              Index total = 0;
              for (Index v : r.confusion[c]) total += v;
              per_class.push_back(total ? static_cast<double>(r.confusion[c][c]) / total : 0.0);
            }
            if (args->json) {
              print_json_line({{"split", args->split},
                               {"examples", r.examples},
                               {"accuracy", r.accuracy},
                               {"loss", r.loss},
                               {"per_class_accuracy", per_class},
                               {"confusion", r.confusion},
                               {"run_dir", m.run_dir}});
            } else {
              fmt::print("{} split of {}: {} examples, accuracy {:.4f}, loss {:.4f}\n", args->split, m.run_dir,
                         r.examples, r.accuracy, r.loss);
              fmt::print("per-class accuracy: {:.3f}\n", fmt::join(per_class, " "));
              print_confusion(r);
            }
            return 0;
          }};
}

}  // namespace gradnet::cli
