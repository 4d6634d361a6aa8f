// gradnet search-report DIR [--out FILE] [--json]: writes DIR/search-report.html for the study in
// DIR (docs/search-report.md); the boundary warnings also go to stderr.
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/search/report.h"
#include "gradnet/search/search.h"
#include "gradnet/search/study.h"
#include "options.h"

namespace fs = std::filesystem;

namespace gradnet::cli {

namespace {

struct SearchReportArgs {
  std::string dir;
  std::string out;
  bool json = false;
};

}  // namespace

Command add_search_report(CLI::App& root) {
  auto args = std::make_shared<SearchReportArgs>();
  CLI::App* app = root.add_subcommand("search-report", "Write DIR/search-report.html: every trial of a hyperparameter "
                                                       "study, the best, and ranges to widen, as one page");
  app->add_option("dir", args->dir, "A study directory made by `gradnet search` (it holds study.db)")
      ->type_name("DIR")
      ->required();
  app->add_option("--out", args->out, "Where to write the page (default: DIR/search-report.html)")->type_name("FILE.html");
  app->add_flag("--json", args->json,
                "Print the result as one JSON object, the last line on stdout: `gradnet search DIR --json`'s "
                "best and trials, and report, sections, warnings");
  set_examples(app, {"gradnet search-report runs/lr-search",
                     "gradnet search-report runs/lr-search --out /tmp/lr.html",
                     "gradnet search-report runs/lr-search --json"});
  return {app, [args] {
            const search::StudyRecord study = search::load_study(args->dir);
            if (!args->out.empty() && fs::path(args->out).has_parent_path())
              fs::create_directories(fs::path(args->out).parent_path());
            const search::SearchReportResult r = search::write_search_report(study, args->out);
            for (const std::string& w : r.warnings) fmt::print(stderr, "gradnet: warning: {}\n", w);
            if (args->json) {
              // `gradnet search DIR --json`'s results, and the page.
              nlohmann::json j = nlohmann::json::parse(search::results_json(study));
              j.update({{"report", r.path}, {"sections", r.sections}, {"warnings", r.warnings}});
              print_json_line(j);
            } else {
              fmt::print("{}\n", r.path);
            }
            return 0;
          }};
}

}  // namespace gradnet::cli
