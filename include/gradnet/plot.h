// Small PNG plots (cairo underneath, not in this header): line plots with axes, ticks, labels,
// legend and an optional log y axis; contour plots of a 2-D function with paths drawn over it.
// Used by `gradnet schedule-plot`, `gradnet optim-demo`, and later lr-find and report.
#pragma once

#include <string>
#include <vector>

namespace gradnet::plot {

struct Color {
  double r = 0, g = 0, b = 0;
};
// A qualitative palette (matplotlib's tab10), cycling.
Color palette(int index);

struct Series {
  std::string label;          // "" keeps it out of the legend
  std::vector<double> x, y;
  Color color;
  double width = 2.0;         // line width in pixels
  bool markers = false;       // a dot at every point
  bool end_markers = false;   // a circle at the first point, a square at the last
  bool target_markers = false; // a white-rimmed diamond at every point, no line (optim-demo's minimum)
};

struct Axes {
  std::string title;
  std::string x_label, y_label;
  std::string note;           // small text under the plot, right-aligned ("steps per epoch: 100 (default)")
  bool log_y = false;         // y values <= 0 are left out
  bool log_x = false;         // x values <= 0 are left out (lr-find's lr axis)
  bool legend = true;
  bool legend_left = false;   // the legend in the top-left corner instead of the top-right
  int legend_outside = 0;     // > 0: the legend in a column this wide right of the plot, covering nothing
  int width = 900, height = 560;  // pixels (the plot; a legend_outside column is added to the width)
};

// Writes a PNG line plot of series to path; throws Error{runtime} when it cannot.
void line_plot(const std::string& path, const Axes& axes, const std::vector<Series>& series);

// z sampled on an nx × ny grid over [x0, x1] × [y0, y1]: z[j * nx + i] is z(x_i, y_j).
struct Grid {
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  int nx = 0, ny = 0;
  std::vector<double> z;
};

// Filled, shaded contour plot of grid at levels (ascending), with paths drawn over it (clipped to
// the grid's box) and a legend of the labelled ones.
void contour_plot(const std::string& path, const Axes& axes, const Grid& grid, const std::vector<double>& levels,
                  const std::vector<Series>& paths);

// Levels for contour_plot: n values between lo and hi, log-spaced when log (lo > 0), else linear.
std::vector<double> contour_levels(double lo, double hi, int n, bool log);

}  // namespace gradnet::plot
