// gradnet: the command-line shell around the library. The one place that catches
// gradnet::Error and turns it into "gradnet: error: ..." and an exit code (2 bad input, 1 failure).
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "openmp_env.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"

namespace gradnet::cli {

void print_json_line(const nlohmann::json& value) {
  std::fflush(stderr);
  std::cout << value.dump() << std::endl;
}

}  // namespace gradnet::cli

int main(int argc, char** argv) {
  using namespace gradnet;
  cli::settle_openmp_wait_policy(argv);  // first: it may re-execute the program
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
                                        cli::add_report(app), cli::add_augment_preview(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "gradnet: error: {}\nRun 'gradnet --help' (or 'gradnet COMMAND --help') for usage.\n",
               e.what());
    return 2;
  }
  try {
    for (auto& c : commands)
      if (c.app->parsed()) return c.run();
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
