// The search report: one self-contained HTML page about a hyperparameter study (what
// `gradnet search-report DIR` writes to DIR/search-report.html; docs/search-report.md), and the
// boundary warning: the best value of a parameter at the edge of its searched range.
#pragma once

#include <string>
#include <vector>

#include "gradnet/search/study.h"

namespace gradnet::search {

// A best value within this fraction of the range's width (log10 width for log_uniform / int_log)
// from its low or high end lies "at the edge": the range was probably too narrow there.
inline constexpr double kBoundaryFraction = 0.10;

// One sentence per numeric dimension (uniform, log_uniform, int, int_log) of the space the best
// trial was drawn from whose best value lies at the edge of its range, e.g. "optimizer.lr: the best
// value 0.93 lies at the top of the searched range [0.001, 1] (log scale); widen the range upward
// and search again". Choice and grid dimensions never warn; no complete trial: none.
std::vector<std::string> boundary_warnings(const StudyRecord& study);

// The page's sections, in order: summary, boundary, params, history, parallel, intermediate,
// accuracy, trials. Each is a <section id="..."> with an <h2>; missing data is said in words.
std::vector<std::string> search_report_sections();

// The whole page. Reads each trial's run_dir/metrics.jsonl and summary.json for the accuracy
// overlay (a run directory that is missing or unreadable is named in the page, never an error).
std::string search_report_html(const StudyRecord& study);

struct SearchReportResult {
  std::string path;                   // the page written
  std::vector<std::string> sections;  // the ids of its sections
  std::vector<std::string> warnings;  // boundary_warnings(study)
};

// Writes the page atomically to path ("" = study.dir/search-report.html).
SearchReportResult write_search_report(const StudyRecord& study, const std::string& path = "");

}  // namespace gradnet::search
