// search-report.html: the summary, the boundary warning and the table of trials, and the page
// around every section (the same style as report.html).
#include <ctime>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "../report/html.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/search/report.h"
#include "report_page.h"

namespace fs = std::filesystem;

namespace gradnet::search {
namespace page {

using report::escape;

namespace {

// What report.html's style lacks: the best row of a table, states in colour.
constexpr const char* kExtraCss = R"CSS(
tr.best td { font-weight: 600; background: #fdf3f3; }
.state-complete { color: #2a8a2a; } .state-pruned { color: #7a7f87; } .state-failed { color: #c62828; font-weight: 600; }
.state-running { color: #1f77b4; } .state-waiting { color: #8a93a3; }
table.numbers .params, table.numbers .message { text-align: left; }
table.numbers td.params { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
table.numbers td.message { color: var(--muted); max-width: 360px; }
)CSS";

std::string row(const std::string& key, const std::string& value) {
  return "<tr><th>" + escape(key) + "</th><td>" + value + "</td></tr>";
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string space_text(const SpaceDim& d) {
  if (d.choices.empty() || (d.distribution != "choice" && d.distribution != "grid"))
    return fmt::format("{} [{}, {}]", d.distribution, short_num(d.low), short_num(d.high));
  std::string list;
  for (const std::string& c : d.choices) list += (list.empty() ? "" : ", ") + c;
  return d.distribution + " {" + list + "}";
}

std::string params_cells(const TrialRecord& t) {
  std::string s;
  for (const ParamValue& p : t.params) s += (s.empty() ? "" : "<br>") + escape(p.key + "=" + p.literal);
  return s;
}

}  // namespace

Section summary_section(const View& v) {
  Section s{"summary", "Summary", ""};
  const StudyRecord& st = v.study;
  std::map<std::string, int> by_state;
  for (const TrialRecord& t : st.trials) ++by_state[to_string(t.state)];
  std::string states;
  for (const char* name : {"complete", "pruned", "failed", "running", "waiting"})
    if (by_state[name] > 0)
      states += fmt::format("{}<span class=\"state-{}\">{} {}</span>", states.empty() ? "" : ", ", name, by_state[name], name);
  std::string t = "<table class=\"kv\">";
  if (!st.name.empty()) t += row("study", escape(st.name));
  t += row("directory", "<code>" + escape(st.dir) + "</code>");
  t += row("objective", "<code>" + escape(st.objective) + "</code>, " + (st.maximize ? "maximized" : "minimized"));
  t += row("sampler", escape(st.sampler.empty() ? "?" : st.sampler));
  t += row("trials", fmt::format("{} of {} requested{}", st.trials.size(), st.trials_requested,
                                 states.empty() ? "" : ": " + states));
  for (std::size_t i = 0; i < st.stages.size(); ++i) {
    std::string space;
    for (const SpaceDim& d : st.stages[i])
      space += (space.empty() ? "" : "<br>") + fmt::format("<code>{}</code> {}", escape(d.key), escape(space_text(d)));
    t += row(st.stages.size() > 1 ? fmt::format("space, stage {}", i) : "space", space.empty() ? "(empty)" : space);
  }
  if (v.best) {
    const TrialRecord& b = *v.best;
    t += row("best trial", fmt::format("<b>{}</b>{}", b.number, st.stages.size() > 1 ? fmt::format(" (stage {})", b.stage) : ""));
    t += row("best " + st.objective, "<b>" + report::num(*b.value) + "</b>");
    t += row("best parameters", "<code>" + escape(params_text(b)) + "</code>");
    t += row("best run", run_link(v, b));
  }
  s.html = t + "</table>";
  if (!v.best)
    s.html += callout("info", "No trial has completed yet: there is no best trial. The charts fill in as trials "
                              "finish; write this page again with <code>gradnet search-report " + escape(st.dir) + "</code>.");
  if (!v.warnings.empty())
    s.html += callout("warn", fmt::format("The best value of {} {} at the edge of its searched range: see "
                                          "<a href=\"#boundary\">below</a>.",
                                          v.warnings.size(), v.warnings.size() == 1 ? "parameter lies" : "parameters lie"));
  return s;
}

Section boundary_section(const View& v) {
  Section s{"boundary", "Edges of the searched ranges", ""};
  if (!v.best) {
    s.html = "<p>No trial has completed yet: there is no best value to check against the ranges.</p>";
    return s;
  }
  bool any_numeric = false;
  for (const SpaceDim& d : v.dims) any_numeric = any_numeric || is_numeric(d);
  if (!any_numeric) {
    s.html = "<p>The space has no numeric dimension (choices only): there is no range whose edge the best value "
             "could sit on.</p>";
    return s;
  }
  if (v.warnings.empty()) {
    s.html = callout("good", fmt::format("The best value of every numeric parameter lies inside its searched range "
                                         "(more than {:.0f}% of the range's width from either end, on a log scale "
                                         "for log dimensions).",
                                         kBoundaryFraction * 100));
    return s;
  }
  std::string list;
  for (const std::string& w : v.warnings) list += "<li>" + escape(w) + "</li>";
  s.html = callout("warn", "<ul>" + list + "</ul>") +
           fmt::format("<p class=\"muted\">A best value within {:.0f}% of the range's width of its end (measured on "
                       "a log scale for log dimensions) suggests the best setting lies outside the range: the range "
                       "was too narrow there, and searching again with it widened in that direction may find a "
                       "better one.</p>",
                       kBoundaryFraction * 100);
  return s;
}

Section trials_section(const View& v) {
  Section s{"trials", "All trials", ""};
  if (v.study.trials.empty()) {
    s.html = "<p>The study has no trials yet.</p>";
    return s;
  }
  std::string t = "<div class=\"scroll\"><table class=\"numbers trials\"><tr><th>trial</th><th>stage</th><th>state</th>"
                  "<th class=\"params\">parameters</th><th>" + escape(v.study.objective) + "</th><th>attempts</th>"
                  "<th>run directory</th><th class=\"message\">message</th></tr>";
  for (const TrialRecord& tr : v.study.trials) {
    const char* state = to_string(tr.state);
    t += fmt::format("<tr{}><td>{}</td><td>{}</td><td class=\"state-{}\">{}</td><td class=\"params\">{}</td><td>{}</td>"
                     "<td>{}</td><td>{}</td><td class=\"message\">{}</td></tr>",
                     &tr == v.best ? " class=\"best\"" : "", tr.number, tr.stage, state, state, params_cells(tr),
                     tr.value ? report::num(*tr.value) : "-", tr.attempts, run_link(v, tr), escape(tr.message));
  }
  s.html = t + "</table></div>";
  return s;
}

}  // namespace page

std::vector<std::string> search_report_sections() {
  return {"summary", "boundary", "params", "history", "parallel", "intermediate", "accuracy", "trials"};
}

namespace {

std::string page_html(const StudyRecord& study, const std::string& page_dir) {
  using namespace page;
  View v{study, page_dir, study.best(), searched_dims(study), boundary_warnings(study)};
  const std::vector<Section> sections = {summary_section(v),  boundary_section(v),     params_section(v),
                                         history_section(v),  parallel_section(v),     intermediate_section(v),
                                         accuracy_section(v), trials_section(v)};
  const std::string name = study.name.empty() ? fs::path(study.dir).filename().string() : study.name;
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"generator\" content=\"gradnet search-report\">\n<title>gradnet search report: " +
                     escape(name) + "</title>\n<style>" + report::page_css() + kExtraCss + "</style>\n</head>\n<body>\n" +
                     "<header><h1>" + escape(name) + "</h1><p>gradnet search report · " + escape(utc_now()) +
                     " · <code>" + escape(study.dir) + "</code></p><nav>";
  for (const Section& s : sections) html += "<a href=\"#" + s.id + "\">" + escape(s.title) + "</a>";
  html += "</nav></header>\n<main>\n";
  for (const Section& s : sections)
    html += "<section id=\"" + s.id + "\">\n<h2>" + escape(s.title) + "</h2>\n" + s.html + "\n</section>\n";
  html += "</main>\n<footer>Written by <code>gradnet search-report</code>: one self-contained file, nothing loaded "
          "from the network.</footer>\n"
          "<script>document.body.dataset.ok = \"1\";</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace

std::string search_report_html(const StudyRecord& study) {
  return page_html(study, fs::absolute(fs::path(study.dir)).lexically_normal().string());
}

SearchReportResult write_search_report(const StudyRecord& study, const std::string& path) {
  SearchReportResult r;
  r.path = path.empty() ? (fs::path(study.dir) / "search-report.html").string() : path;
  const fs::path parent = fs::absolute(fs::path(r.path)).lexically_normal().parent_path();
  write_file_atomic(r.path, page_html(study, parent.string()));
  r.sections = search_report_sections();
  r.warnings = boundary_warnings(study);
  return r;
}

}  // namespace gradnet::search
