// Line plots and the shared frame (canvas.h): white background, light grid at the ticks, axis
// labels, title, an optional note under the plot, legend in the top-right corner.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "canvas.h"
#include "gradnet/error.h"

namespace gradnet::plot {
namespace detail {

std::vector<double> ticks(double lo, double hi, bool log) {
  std::vector<double> out;
  if (!(hi > lo)) return {lo};
  if (log) {  // lo, hi are log10 values
    const double span = hi - lo;
    for (double e = std::floor(lo); e <= std::ceil(hi); e += 1.0)
      for (double m : span < 2.5 ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
        const double v = std::log10(m) + e;
        if (v >= lo - 1e-9 && v <= hi + 1e-9) out.push_back(v);
      }
    return out;
  }
  const double raw = (hi - lo) / 6.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return out;
}

// One style per axis: plain digits from 1e-4 to below 1e6 ("10000", not "1e+04" next to "5000"),
// exponents only outside; 6 significant digits hide a step's rounding (0.30000000000000004).
std::string tick_label(double v) {
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 1e-4 && a < 1e6) return fmt::format("{:.6g}", v);
  return fmt::format("{:.3g}", v);
}

std::vector<double> integer_ticks(double lo, double hi) {
  if (!(hi > lo)) return {std::round(lo)};
  const double raw = std::max(1.0, (hi - lo) / 6.0);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> out;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push_back(v);
  return out;
}

Canvas::Canvas(const Axes& axes, double x0, double x1, double y0, double y1)
    : axes_(axes), x0_(x0), x1_(x1), y0_(y0), y1_(y1) {
  if (!(x1_ > x0_)) x1_ = x0_ + 1;
  if (!(y1_ > y0_)) {
    const double pad = std::max(std::fabs(y0_) * 0.1, 1e-12);
    y0_ -= pad;
    y1_ += pad;
  }
  left_ = 88;
  right_ = axes.width - 24.0;
  top_ = axes.title.empty() ? 24.0 : 48.0;
  bottom_ = axes.height - (axes.note.empty() ? 56.0 : 74.0);
  surface_ = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, axes.width + std::max(axes.legend_outside, 0), axes.height);
  cr_ = cairo_create(surface_);
  cairo_set_source_rgb(cr_, 1, 1, 1);
  cairo_paint(cr_);
  cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

double Canvas::px(double x) const {
  const double v = axes_.log_x ? std::log10(x) : x;
  return left_ + (v - x0_) / (x1_ - x0_) * (right_ - left_);
}
double Canvas::py(double y) const {
  const double v = axes_.log_y ? std::log10(y) : y;
  return bottom_ - (v - y0_) / (y1_ - y0_) * (bottom_ - top_);
}

void Canvas::text(const std::string& s, double x, double y, double ax, double ay, double size, bool bold,
                  double angle) {
  cairo_save(cr_);
  cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr_, s.c_str(), &e);
  cairo_translate(cr_, x, y);
  cairo_rotate(cr_, angle);
  cairo_move_to(cr_, -e.x_bearing - e.width * ax, -e.y_bearing - e.height * ay);
  cairo_set_source_rgb(cr_, 0.15, 0.15, 0.15);
  cairo_show_text(cr_, s.c_str());
  cairo_restore(cr_);
}

void Canvas::draw_frame() {
  cairo_set_line_width(cr_, 1);
  for (double t : ticks(x0_, x1_, axes_.log_x)) {
    const double x = std::round(left_ + (t - x0_) / (x1_ - x0_) * (right_ - left_)) + 0.5;
    cairo_set_source_rgba(cr_, 0, 0, 0, 0.08);
    cairo_move_to(cr_, x, top_);
    cairo_line_to(cr_, x, bottom_);
    cairo_stroke(cr_);
    cairo_set_source_rgb(cr_, 0.3, 0.3, 0.3);
    cairo_move_to(cr_, x, bottom_);
    cairo_line_to(cr_, x, bottom_ + 5);
    cairo_stroke(cr_);
    text(tick_label(axes_.log_x ? std::pow(10.0, t) : t), x, bottom_ + 8, 0.5, 0, 12);
  }
  for (double t : ticks(y0_, y1_, axes_.log_y)) {
    const double y = std::round(bottom_ - (t - y0_) / (y1_ - y0_) * (bottom_ - top_)) + 0.5;
    cairo_set_source_rgba(cr_, 0, 0, 0, 0.08);
    cairo_move_to(cr_, left_, y);
    cairo_line_to(cr_, right_, y);
    cairo_stroke(cr_);
    cairo_set_source_rgb(cr_, 0.3, 0.3, 0.3);
    cairo_move_to(cr_, left_ - 5, y);
    cairo_line_to(cr_, left_, y);
    cairo_stroke(cr_);
    text(tick_label(axes_.log_y ? std::pow(10.0, t) : t), left_ - 8, y, 1, 0.5, 12);
  }
  cairo_set_source_rgb(cr_, 0.3, 0.3, 0.3);
  cairo_rectangle(cr_, left_ + 0.5, top_ + 0.5, right_ - left_, bottom_ - top_);
  cairo_stroke(cr_);
  if (!axes_.title.empty()) text(axes_.title, (left_ + right_) / 2, 14, 0.5, 0, 16, true);
  if (!axes_.x_label.empty()) text(axes_.x_label, (left_ + right_) / 2, bottom_ + 30, 0.5, 0, 13);
  if (!axes_.y_label.empty()) text(axes_.y_label, 18, (top_ + bottom_) / 2, 0.5, 0, 13, false, -M_PI / 2);
  if (!axes_.note.empty()) text(axes_.note, right_, axes_.height - 10.0, 1, 1, 11);
}

void Canvas::clip_to_plot() {
  cairo_save(cr_);
  cairo_rectangle(cr_, left_, top_, right_ - left_, bottom_ - top_);
  cairo_clip(cr_);
}
void Canvas::unclip() { cairo_restore(cr_); }

void Canvas::draw_series(const Series& s) {
  const std::size_t n = std::min(s.x.size(), s.y.size());
  cairo_set_source_rgb(cr_, s.color.r, s.color.g, s.color.b);
  cairo_set_line_width(cr_, s.width);
  cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
  bool pen = false;
  for (std::size_t i = 0; i < n; ++i) {
    const bool ok = std::isfinite(s.x[i]) && std::isfinite(s.y[i]) && (!axes_.log_y || s.y[i] > 0) &&
                    (!axes_.log_x || s.x[i] > 0);
    if (!ok) {
      pen = false;
      continue;
    }
    const double x = px(s.x[i]), y = std::clamp(py(s.y[i]), -1e5, 1e5);
    if (pen) cairo_line_to(cr_, x, y);
    else cairo_move_to(cr_, x, y);
    pen = true;
  }
  cairo_stroke(cr_);
  for (std::size_t i = 0; s.markers && i < n; ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (axes_.log_x && s.x[i] <= 0)) continue;
    cairo_arc(cr_, px(s.x[i]), py(s.y[i]), s.width + 1, 0, 2 * M_PI);
    cairo_fill(cr_);
  }
  for (std::size_t i = 0; s.target_markers && i < n; ++i) {
    const double cx = px(s.x[i]), cy = py(s.y[i]), r = 7;
    cairo_move_to(cr_, cx, cy - r);
    cairo_line_to(cr_, cx + r, cy);
    cairo_line_to(cr_, cx, cy + r);
    cairo_line_to(cr_, cx - r, cy);
    cairo_close_path(cr_);
    cairo_set_source_rgb(cr_, s.color.r, s.color.g, s.color.b);
    cairo_fill_preserve(cr_);
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_set_line_width(cr_, 1.5);
    cairo_stroke(cr_);
  }
  if (s.end_markers && n > 0) {
    cairo_arc(cr_, px(s.x[0]), py(s.y[0]), 5, 0, 2 * M_PI);
    cairo_fill(cr_);
    const double r = 4.5;
    cairo_rectangle(cr_, px(s.x[n - 1]) - r, py(s.y[n - 1]) - r, 2 * r, 2 * r);
    cairo_fill_preserve(cr_);
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_set_line_width(cr_, 1.2);
    cairo_stroke(cr_);
  }
}

void Canvas::draw_legend(const std::vector<Series>& series) {
  std::vector<const Series*> shown;
  for (const Series& s : series)
    if (!s.label.empty()) shown.push_back(&s);
  if (shown.empty() || !axes_.legend) return;
  cairo_set_font_size(cr_, 12);
  double w = 0;
  for (const Series* s : shown) {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s->label.c_str(), &e);
    w = std::max(w, e.x_advance);
  }
  const double row = 18, box_w = w + 46, box_h = row * shown.size() + 10;
  const double x = axes_.legend_outside > 0 ? right_ + 14 : axes_.legend_left ? left_ + 10 : right_ - box_w - 10;
  const double y = top_ + 10;
  cairo_set_source_rgba(cr_, 1, 1, 1, 0.88);
  cairo_rectangle(cr_, x, y, box_w, box_h);
  cairo_fill_preserve(cr_);
  cairo_set_source_rgba(cr_, 0, 0, 0, 0.3);
  cairo_set_line_width(cr_, 1);
  cairo_stroke(cr_);
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const double cy = y + 5 + row * (i + 0.5);
    const Color c = shown[i]->color;
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    if (shown[i]->target_markers) {  // the same diamond as on the plot
      cairo_move_to(cr_, x + 20, cy - 6);
      cairo_line_to(cr_, x + 26, cy);
      cairo_line_to(cr_, x + 20, cy + 6);
      cairo_line_to(cr_, x + 14, cy);
      cairo_close_path(cr_);
      cairo_fill(cr_);
    } else {
      cairo_set_line_width(cr_, 3);
      cairo_move_to(cr_, x + 8, cy);
      cairo_line_to(cr_, x + 32, cy);
      cairo_stroke(cr_);
    }
    text(shown[i]->label, x + 38, cy, 0, 0.5, 12);
  }
}

void Canvas::save(const std::string& path) {
  cairo_surface_flush(surface_);
  const cairo_status_t status = cairo_surface_write_to_png(surface_, path.c_str());
  if (status != CAIRO_STATUS_SUCCESS)
    fail(ErrorKind::runtime, "cannot write {}: {}", path, cairo_status_to_string(status));
}

}  // namespace detail

Color palette(int index) {
  static const Color colors[] = {{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                                 {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                                 {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133},
                                 {0.090, 0.745, 0.812}};
  return colors[((index % 10) + 10) % 10];
}

void line_plot(const std::string& path, const Axes& axes, const std::vector<Series>& series) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const Series& s : series)
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (axes.log_y && s.y[i] <= 0) ||
          (axes.log_x && s.x[i] <= 0))
        continue;
      const double x = axes.log_x ? std::log10(s.x[i]) : s.x[i];
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      const double y = axes.log_y ? std::log10(s.y[i]) : s.y[i];
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  const double pad = (y1 - y0) * 0.05;
  if (!axes.log_y && y0 >= 0 && y0 - pad < 0) y0 = 0;  // an lr curve reads best from 0
  else y0 -= pad;
  y1 += pad;
  detail::Canvas canvas(axes, x0, x1, y0, y1);
  canvas.draw_frame();
  canvas.clip_to_plot();
  for (const Series& s : series) canvas.draw_series(s);
  canvas.unclip();
  canvas.draw_legend(series);
  canvas.save(path);
}

}  // namespace gradnet::plot
