// Internal: a cairo image surface with a plot frame (margins, data -> pixel mapping, axes, ticks,
// labels, legend), shared by line_plot and contour_plot.
#pragma once

#include <cairo.h>

#include <string>
#include <vector>

#include "gradnet/plot.h"

namespace gradnet::plot::detail {

// "Nice" tick positions covering [lo, hi] (1, 2, 5 × 10^k steps), or powers of ten when log.
std::vector<double> ticks(double lo, double hi, bool log);
std::string tick_label(double v);
// Whole-number ticks (1, 2, 5 × 10^k steps, at least 1) for counts: epochs, steps.
std::vector<double> integer_ticks(double lo, double hi);

class Canvas {
 public:
  Canvas(const Axes& axes, double x0, double x1, double y0, double y1);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  cairo_t* cr() { return cr_; }
  double px(double x) const;  // data -> pixel
  double py(double y) const;
  double left() const { return left_; }
  double right() const { return right_; }
  double top() const { return top_; }
  double bottom() const { return bottom_; }

  void draw_frame();                           // ticks, grid lines, labels, title, note, border
  void clip_to_plot();
  void unclip();
  void draw_series(const Series& s);
  void draw_legend(const std::vector<Series>& series);
  void save(const std::string& path);          // throws Error{runtime}

 private:
  void text(const std::string& s, double x, double y, double align_x, double align_y, double size,
            bool bold = false, double angle = 0);

  Axes axes_;
  double x0_, x1_, y0_, y1_;  // data range (log10 of x / y when log_x / log_y)
  double left_, right_, top_, bottom_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
};

}  // namespace gradnet::plot::detail
