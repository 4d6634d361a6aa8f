// Internal: the sections of search-report.html and what they share.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gradnet/search/study.h"

namespace gradnet::search::page {

struct Section {
  std::string id, title;
  std::string html;  // the body, after the <h2>
};

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// What one trial's run directory says about accuracy, epoch by epoch (epochs from 1: epoch 0 is
// before any update and would squash the scale of a comparison).
struct RunCurves {
  std::vector<double> epochs, val_acc, test_acc;  // NaN where a line has no such field
  double final_val_acc = kNaN, final_test_acc = kNaN;  // summary.json
  std::string problem;  // non-empty: why nothing could be read
};

struct View {
  const StudyRecord& study;
  std::string page_dir;                // where the page is written: links are relative to it
  const TrialRecord* best = nullptr;
  std::vector<SpaceDim> dims;          // every key searched, with its widest range over the stages
  std::vector<std::string> warnings;   // boundary_warnings
};

const ParamValue* find_param(const TrialRecord& trial, const std::string& key);
// "optimizer.lr=0.1, train.batch_size=64": the literals as --set takes them.
std::string params_text(const TrialRecord& trial);
// The same with numbers to 4 significant digits, for legends: "optimizer.lr=0.04956, ...".
std::string params_label(const TrialRecord& trial);
// An <a> to the trial's run directory (its report.html when it has one), relative to the page.
std::string run_link(const View& view, const TrialRecord& trial);
std::vector<SpaceDim> searched_dims(const StudyRecord& study);
bool is_numeric(const SpaceDim& dim);
// Which of dim.choices the parameter took: by its literal, else by number ("1e-3" is 0.001); -1: none.
int choice_index(const SpaceDim& dim, const ParamValue& param);
// Where v lies in [low, high]: 0 at low, 1 at high, on a log scale for log dimensions; NaN when
// the range is empty (or not positive on a log scale).
double range_position(const SpaceDim& dim, double v);
// A numeric value for people: 0.93, 0.001, 1e-05, 64.
std::string short_num(double v);
// Letters, digits, '.', '_' and '-' of text, anything else as '-': a safe id.
std::string id_of(const std::string& text);
// Values complete and pruned trials reported (pruned: the last one), in trial order.
std::vector<const TrialRecord*> trials_with_values(const StudyRecord& study);

RunCurves read_run_curves(const std::string& run_dir);

std::string callout(const std::string& kind, const std::string& html);
// A colour for t in [0, 1]: viridis, dark purple (0) to yellow (1).
std::string viridis(double t);

Section summary_section(const View& v);
Section boundary_section(const View& v);
Section params_section(const View& v);
Section history_section(const View& v);
Section parallel_section(const View& v);
Section intermediate_section(const View& v);
Section accuracy_section(const View& v);
Section trials_section(const View& v);

}  // namespace gradnet::search::page
