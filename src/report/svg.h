// Internal: inline SVG charts for report.html. Every chart is one
// <svg class="chart" data-kind="line|histogram" ...> with a <title>, axes, ticks, grid, a legend
// above the plot, and its data as <polyline class="series"> / <path class="bars"> elements, so a
// browser draws it without scripts and a test can count the points.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace gradnet::report {

// matplotlib's tab10 as "#rrggbb", cycling.
std::string color(int index);

struct SvgSeries {
  std::string label;           // "" keeps it out of the legend
  std::vector<double> x, y;    // non-finite points (and y <= 0 on a log axis) break the line
  std::string color = "#1f77b4";
  double width = 2;
  bool dashed = false;
  double opacity = 1;
  bool markers = false;        // a dot at every point (for short series)
  bool connect = true;         // false: the dots alone, no line (a scatter; implies markers)
};

struct GuideLine {             // a horizontal reference line across the plot
  double y = 0;
  std::string label;
};

struct SvgAxes {
  std::string id;              // the svg element's id ("" for none)
  std::string title, x_label, y_label;
  bool log_y = false;
  bool integer_x = false;      // x counts something (epochs, steps): whole-number ticks only
  bool log_x = false;          // x on a log10 scale (x <= 0 is not drawn)
  // Categorical x: one tick at each of 0, 1, ..., n-1, labelled with these names.
  std::vector<std::string> x_categories;
  int width = 520, height = 300;
  // Fixed ranges; NaN: from the data (y gets 5% padding).
  double x_min = kAuto, x_max = kAuto, y_min = kAuto, y_max = kAuto;
  std::vector<GuideLine> guides;
  bool legend = true;
  static constexpr double kAuto = std::numeric_limits<double>::quiet_NaN();
};

std::string line_chart(const SvgAxes& axes, std::vector<SvgSeries> series);

// Equal-width bins between lo and hi; overlay (optional, same bin count) is drawn as an outline.
struct Histogram {
  double lo = 0, hi = 1;
  std::vector<double> counts;
  std::string label;
};
std::string histogram_chart(const SvgAxes& axes, const Histogram& bars, const Histogram* overlay,
                            const std::string& color);

// Fewer points with the same picture: drops points collinear with their neighbours (a ROC
// staircase keeps only its corners), then keeps each bucket's first/min/max/last when more than
// max_points remain.
void simplify(std::vector<double>& x, std::vector<double>& y, std::size_t max_points = 1500);

}  // namespace gradnet::report
