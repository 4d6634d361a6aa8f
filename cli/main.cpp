// gradnet: the command-line shell around the library. The one place that catches
// gradnet::Error and turns it into "gradnet: error: ..." and an exit code (2 bad input, 1 failure).
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string_view>

#include <fmt/format.h>

#include "commands.h"
#include "openmp_env.h"
#include "stop_signals.h"
#include "gradnet/dist.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/value.h"

namespace gradnet::cli {

void print_json_line(const nlohmann::json& value) {
  std::fflush(stderr);
  std::cout << value.dump() << std::endl;
}

namespace {

// `gradnet`, `gradnet help`, `gradnet --help` and an unknown command: every command, one line each.
std::string command_list(CLI::App& app) {
  std::string text = "usage: gradnet COMMAND [ARGS] [OPTIONS]\n\ncommands:\n";
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    text += fmt::format("  {:<16} {}\n", sub->get_name(), sub->get_description());
  text += "\n'gradnet help COMMAND' (or 'gradnet COMMAND --help') shows a command's options, defaults and examples;\n"
          "'gradnet --version' the version and the engine. docs/ and README.md have the rest.\n";
  return text;
}

std::vector<std::string> command_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

int unknown_command(CLI::App& app, const std::string& word) {
  const auto near = closest_match(word, command_names(app));
  fmt::print(stderr, "gradnet: error: unknown command '{}'{}\n\n{}", word,
             near ? fmt::format("; did you mean '{}'?", *near) : std::string(), command_list(app));
  return 2;
}

// CLI11 says "--epochs: must be a positive integer, got -1" for a check of cli/options.h; the
// colon goes, so the message reads as a sentence.
std::string parse_error_text(const CLI::ParseError& e) {
  std::string text = e.what();
  const auto at = text.find(": must be ");
  if (dynamic_cast<const CLI::ValidationError*>(&e) && at != std::string::npos) text.erase(at, 1);
  return text;
}

// For an option the command does not have ("--epoch"): "; did you mean '--epochs'?", else "".
std::string unknown_option_hint(const CLI::App& command, const std::vector<const char*>& args) {
  std::vector<std::string> known;
  for (const CLI::Option* o : command.get_options())
    for (const std::string& n : o->get_lnames()) known.push_back("--" + n);
  for (std::size_t i = 2; i < args.size(); ++i) {
    std::string word = args[i];
    if (word.rfind("--", 0) != 0 || word == "--") continue;
    word = word.substr(0, word.find('='));
    if (std::find(known.begin(), known.end(), word) != known.end()) continue;
    const auto near = closest_match(word, known);
    return near ? fmt::format("; did you mean '{}'?", *near) : std::string();
  }
  return "";
}

}  // namespace
}  // namespace gradnet::cli

namespace gradnet::cli {
namespace {

int run_command_line(int argc, char** argv) {
  // A file-size limit (ulimit -f) makes a write fail with EFBIG, reported like a full disk, instead
  // of killing the process in the middle of a write.
  std::signal(SIGXFSZ, SIG_IGN);
  // Every command starts with a thread count an address-space limit leaves room for (OpenBLAS
  // spins forever when it cannot map its buffers); train, eval, predict, ... then set the config's.
  set_threads(0);
  CLI::App app{"gradnet: train, check and understand neural networks on a CPU", "gradnet"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] { return "gradnet 0.1.0\n" + runtime_info(); });
  std::vector<cli::Command> commands = {cli::add_train(app), cli::add_eval(app), cli::add_predict(app),
                                        cli::add_gradcheck(app), cli::add_schedule_plot(app),
                                        cli::add_optim_demo(app), cli::add_sanity(app),
                                        cli::add_lr_find(app),
                                        cli::add_report(app), cli::add_augment_preview(app),
                                        cli::add_cv(app), cli::add_search(app), cli::add_worker(app),
                                        cli::add_search_report(app), cli::add_ensemble(app),
                                        cli::add_export(app), cli::add_pretrain(app)};
  // Before CLI11 sees them: no command, `help [COMMAND]` and a word that names no command, which
  // CLI11 would all answer with "A subcommand is required".
  std::vector<const char*> args(argv, argv + argc);
  const std::vector<std::string> names = cli::command_names(app);
  const auto is_command = [&](std::string_view w) { return std::find(names.begin(), names.end(), w) != names.end(); };
  if (argc == 1) {  // a usage error, as `git` alone is: the list on stderr, exit 2
    fmt::print(stderr, "{}", cli::command_list(app));
    return 2;
  }
  if (std::string_view(argv[1]) == "help") {
    if (argc == 2) {
      fmt::print("{}", cli::command_list(app));
      return 0;
    }
    if (!is_command(argv[2])) return cli::unknown_command(app, argv[2]);
    args = {argv[0], argv[2], "--help"};  // `gradnet help train` is `gradnet train --help`
  } else if (argv[1][0] != '-' && !is_command(argv[1])) {
    return cli::unknown_command(app, argv[1]);
  }
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp& e) {
    if (app.get_subcommands().empty()) {  // `gradnet --help`: the command list
      fmt::print("{}", cli::command_list(app));
      return 0;
    }
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::vector<CLI::App*> given = app.get_subcommands();
    const std::string hint = !given.empty() && dynamic_cast<const CLI::ExtrasError*>(&e)
                                 ? cli::unknown_option_hint(*given[0], args)
                                 : std::string();
    fmt::print(stderr, "gradnet: error: {}{}\nRun 'gradnet {}--help' for usage.\n", cli::parse_error_text(e), hint,
               given.empty() ? std::string() : given[0]->get_name() + " ");
    return 2;
  }
  try {
    for (auto& c : commands)
      if (c.app->parsed()) {
        const std::string name = c.app->get_name();
        GRADNET_CHECK(world().size() == 1 || name == "train" || name == "search", usage,
                      "gradnet {} runs as one process; under mpirun -np {} only train (data parallel) and search "
                      "(a master and workers) spread over the ranks: run it without mpirun",
                      name, world().size());
        return c.run();
      }
    return 2;
  } catch (const Error& e) {
    fmt::print(stderr, "gradnet: error: {}\n", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "gradnet: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "gradnet: error: internal error: {} (please report)\n", e.what());
    return 1;
  }
}

}  // namespace
}  // namespace gradnet::cli

int main(int argc, char** argv) {
  using namespace gradnet;
  cli::settle_openmp_wait_policy(argv);  // first: it may re-execute the program
  cli::start_stop_signal_thread();       // before any other thread: see stop_signals.h
  try {
    init_world(&argc, &argv);  // one rank of `mpirun -np N gradnet ...`, or a world of one
  } catch (const Error& e) {
    fmt::print(stderr, "gradnet: error: {}\n", e.what());
    return e.exit_code();
  }
  const int code = cli::run_command_line(argc, argv);
  // A rank that failed on its own would leave the others waiting in a collective: when they do not
  // all arrive here within 60 s, the job ends (MPI_Abort); an error every rank met ends normally.
  if (world().size() > 1 && !final_rendezvous_skipped() && !world().all_arrive(60.0)) {
    fmt::print(stderr, "gradnet: error: rank {} of {} ended (exit {}) while another rank did not; stopping all\n",
               world().rank(), world().size(), code);
    world().abort_all(code != 0 ? code : 1);
  }
  finalize_world();
  return code;
}
