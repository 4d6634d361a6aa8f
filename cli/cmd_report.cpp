// gradnet report RUNDIR [--gallery N] [--json]: writes RUNDIR/report.html (docs/report.md).
#include <fmt/format.h>

#include "commands.h"
#include "gradnet/report.h"
#include "options.h"

namespace gradnet::cli {

namespace {
struct ReportArgs {
  std::string run_dir;
  Index gallery = 24;
  bool json = false;
};
}  // namespace

Command add_report(CLI::App& root) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* app = root.add_subcommand("report", "Write RUNDIR/report.html: curves, diagnostics and test-set metrics "
                                                "of a run, as one self-contained page");
  app->add_option("run_dir", args->run_dir, "A run directory made by `gradnet train`")
      ->type_name("RUNDIR")
      ->required();
  app->add_option("--gallery", args->gallery, "How many confidently wrong test examples to show (0: none)")
      ->type_name("N")
      ->check(non_negative_integer())
      ->capture_default_str();
  app->add_flag("--json", args->json, "Print the result as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet report runs/try1", "gradnet report runs/try1 --gallery 0 --json"});
  return {app, [args] {
            ReportOptions options;
            options.gallery = args->gallery;
            const ReportResult r = write_report(args->run_dir, options);
            for (const std::string& n : r.notes) fmt::print(stderr, "gradnet: note: {}\n", n);
            if (args->json)
              print_json_line({{"report", r.path}, {"sections", r.sections}, {"notes", r.notes}});
            else
              fmt::print("{}\n", r.path);
            return 0;
          }};
}

}  // namespace gradnet::cli
