// Each subcommand adds itself to the CLI11 app and returns the function that runs it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace gradnet::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_train(CLI::App& root);
Command add_eval(CLI::App& root);
Command add_predict(CLI::App& root);
Command add_gradcheck(CLI::App& root);
Command add_schedule_plot(CLI::App& root);
Command add_optim_demo(CLI::App& root);
Command add_sanity(CLI::App& root);
Command add_lr_find(CLI::App& root);
Command add_report(CLI::App& root);
Command add_search_report(CLI::App& root);
Command add_augment_preview(CLI::App& root);
Command add_cv(CLI::App& root);
Command add_search(CLI::App& root);
Command add_worker(CLI::App& root);
Command add_ensemble(CLI::App& root);
Command add_export(CLI::App& root);
Command add_pretrain(CLI::App& root);

// --json: the last stdout line is one JSON object (NaN written as null).
void print_json_line(const nlohmann::json& value);

}  // namespace gradnet::cli
