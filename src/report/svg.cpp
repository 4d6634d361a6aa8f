#include "svg.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include <fmt/format.h>

#include "../plot/canvas.h"  // plot::detail::ticks / tick_label: the same ticks as the PNG plots
#include "html.h"

namespace gradnet::report {

namespace {

std::string f1(double v) { return fmt::format("{:.1f}", v); }

// The frame shared by line and histogram charts: data range -> pixels, grid, ticks, labels.
class Frame {
 public:
  struct LegendEntry {
    std::string label, color;
    bool dashed = false;
    bool dot = false;  // a scatter's entry: a dot, not a line
  };

  // The legend flows in rows between the title and the plot, so the plot keeps the full width.
  Frame(const SvgAxes& axes, double x0, double x1, double y0, double y1, std::vector<LegendEntry> legend)
      : axes_(axes), x0_(x0), x1_(x1), y0_(y0), y1_(y1), legend_(std::move(legend)) {
    if (!(x1_ > x0_)) x1_ = x0_ + 1;
    if (!(y1_ > y0_)) {
      const double pad = std::max(std::fabs(y0_) * 0.1, 1e-12);
      y0_ -= pad;
      y1_ += pad;
    }
    left_ = 62;
    right_ = axes.width - 14;
    double x = left_, y = axes.title.empty() ? 14 : 36;
    if (!axes.legend) legend_.clear();
    for (const LegendEntry& e : legend_) {
      const double w = 30 + 6.3 * static_cast<double>(e.label.size());
      if (x > left_ && x + w > right_) {
        x = left_;
        y += 16;
      }
      legend_pos_.emplace_back(x, y);
      x += w + 12;
    }
    top_ = legend_.empty() ? y - 4 : y + 14;
    bottom_ = axes.height - (axes.x_label.empty() ? 26 : 42);
    static std::atomic<int> counter{0};
    clip_id_ = fmt::format("clip{}", counter++);
  }

  double px(double x) const {
    const double v = axes_.log_x ? std::log10(x) : x;
    return std::clamp(left_ + (v - x0_) / (x1_ - x0_) * (right_ - left_), -1e4, 1e4);
  }
  double py(double y) const {
    const double v = axes_.log_y ? std::log10(y) : y;
    return std::clamp(bottom_ - (v - y0_) / (y1_ - y0_) * (bottom_ - top_), -1e4, 1e4);
  }
  bool visible(double x, double y) const {
    return std::isfinite(x) && std::isfinite(y) && (!axes_.log_y || y > 0) && (!axes_.log_x || x > 0);
  }
  double right() const { return right_; }
  double top() const { return top_; }
  double bottom() const { return bottom_; }
  double left() const { return left_; }

  std::string open() const {
    std::string s = fmt::format(
        "<svg class=\"chart\" data-kind=\"{}\"{}{} viewBox=\"0 0 {} {}\" "
        "width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\">",
        kind_, axes_.id.empty() ? "" : " id=\"" + escape(axes_.id) + "\"",
        axes_.log_x ? " data-x-scale=\"log\"" : !axes_.x_categories.empty() ? " data-x-scale=\"category\"" : "",
        axes_.width, axes_.height, axes_.width,
        axes_.height, escape(axes_.title));
    s += "<title>" + escape(axes_.title) + "</title>";
    s += fmt::format("<defs><clipPath id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath></defs>",
                     clip_id_, f1(left_), f1(top_), f1(right_ - left_), f1(bottom_ - top_));
    s += fmt::format("<rect class=\"plot-area\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fff\"/>", f1(left_),
                     f1(top_), f1(right_ - left_), f1(bottom_ - top_));
    for (double t : x_ticks()) {
      const double x = left_ + (t - x0_) / (x1_ - x0_) * (right_ - left_);
      s += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>", f1(x), f1(top_), f1(bottom_));
      // A label that would run past the chart's edge is anchored at its end (or start) instead.
      const std::string label = x_tick_label(t);
      const double half = 3.3 * static_cast<double>(label.size());
      const char* anchor = x + half > axes_.width ? "end" : x - half < 0 ? "start" : "middle";
      s += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>", f1(x),
                       f1(bottom_ + 14), anchor, escape(label));
    }
    for (double t : y_ticks()) {
      const double y = bottom_ - (t - y0_) / (y1_ - y0_) * (bottom_ - top_);
      s += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>", f1(left_), f1(y), f1(right_));
      const double v = axes_.log_y ? std::pow(10.0, t) : t;
      s += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", f1(left_ - 5),
                       f1(y + 4), escape(plot::detail::tick_label(v)));
    }
    s += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\"/>", f1(left_),
                     f1(top_), f1(right_ - left_), f1(bottom_ - top_));
    if (!axes_.title.empty())
      s += fmt::format("<text class=\"chart-title\" x=\"{}\" y=\"18\" text-anchor=\"middle\">{}</text>",
                       f1((left_ + right_) / 2), escape(axes_.title));
    if (!axes_.x_label.empty())
      s += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                       f1((left_ + right_) / 2), f1(bottom_ + 32), escape(axes_.x_label));
    if (!axes_.y_label.empty())
      s += fmt::format(
          "<text class=\"axis-label\" x=\"14\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {0})\">{1}</text>",
          f1((top_ + bottom_) / 2), escape(axes_.y_label));
    return s;
  }

  std::vector<double> x_ticks() const {
    const std::vector<std::string>& names = axes_.x_categories;
    if (names.empty())
      return axes_.integer_x ? plot::detail::integer_ticks(x0_, x1_) : plot::detail::ticks(x0_, x1_, axes_.log_x);
    std::vector<double> t;
    for (std::size_t i = 0; i < names.size(); ++i) t.push_back(static_cast<double>(i));
    return t;
  }
  std::string x_tick_label(double t) const {
    const std::vector<std::string>& names = axes_.x_categories;
    if (!names.empty()) return names[static_cast<std::size_t>(std::lround(t)) % names.size()];
    return plot::detail::tick_label(axes_.log_x ? std::pow(10.0, t) : t);
  }

  // On a log axis spanning many decades, every k-th decade only (at most about 7 labels).
  std::vector<double> y_ticks() const {
    std::vector<double> t = plot::detail::ticks(y0_, y1_, axes_.log_y);
    if (!axes_.log_y || t.size() <= 8) return t;
    const long every = static_cast<long>(std::ceil(static_cast<double>(t.size()) / 7.0));
    std::vector<double> kept;
    for (double v : t)
      if (std::fabs(v - std::round(v)) < 1e-9 && static_cast<long>(std::round(v)) % every == 0) kept.push_back(v);
    return kept;
  }

  std::string clip_open() const { return fmt::format("<g clip-path=\"url(#{})\">", clip_id_); }

  std::string legend() const {
    if (legend_.empty()) return "";
    std::string s = "<g class=\"legend\">";
    for (std::size_t i = 0; i < legend_.size(); ++i) {
      const auto [x, y] = legend_pos_[i];
      if (legend_[i].dot)
        s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"/>", f1(x + 10), f1(y), legend_[i].color);
      else
        s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"{}/>", f1(x),
                         f1(y), f1(x + 20), f1(y), legend_[i].color, legend_[i].dashed ? " stroke-dasharray=\"5 3\"" : "");
      s += fmt::format("<text class=\"legend-label\" x=\"{}\" y=\"{}\">{}</text>", f1(x + 25), f1(y + 4),
                       escape(legend_[i].label));
    }
    return s + "</g>";
  }

  std::string kind_ = "line";

 private:
  const SvgAxes& axes_;
  double x0_, x1_, y0_, y1_;  // log10 of x (y) when log_x (log_y)
  double left_ = 0, right_ = 0, top_ = 0, bottom_ = 0;
  std::string clip_id_;
  std::vector<LegendEntry> legend_;
  std::vector<std::pair<double, double>> legend_pos_;
};

}  // namespace

std::string color(int index) {
  static const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colors[((index % 10) + 10) % 10];
}

void simplify(std::vector<double>& x, std::vector<double>& y, std::size_t max_points) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n <= 2) return;
  std::vector<double> sx = {x[0]}, sy = {y[0]};
  for (std::size_t i = 1; i + 1 < n; ++i) {
    const double ax = sx.back(), ay = sy.back();
    const double cross = (x[i] - ax) * (y[i + 1] - ay) - (y[i] - ay) * (x[i + 1] - ax);
    const double scale = std::fabs(x[i + 1] - ax) + std::fabs(y[i + 1] - ay);
    const bool finite = std::isfinite(x[i]) && std::isfinite(y[i]) && std::isfinite(x[i + 1]) &&
                        std::isfinite(y[i + 1]) && std::isfinite(ax) && std::isfinite(ay);
    // Keep a point unless it lies on the segment between its neighbours (and between them).
    const bool between = (x[i] - ax) * (x[i + 1] - x[i]) >= 0 && (y[i] - ay) * (y[i + 1] - y[i]) >= 0;
    if (!finite || std::fabs(cross) > 1e-12 * std::max(scale * scale, 1e-300) || !between) {
      sx.push_back(x[i]);
      sy.push_back(y[i]);
    }
  }
  sx.push_back(x[n - 1]);
  sy.push_back(y[n - 1]);
  if (sx.size() > max_points) {
    // Buckets of consecutive points: keep the first, the min, the max and the last of each.
    const std::size_t buckets = std::max<std::size_t>(1, max_points / 4);
    const std::size_t per = (sx.size() + buckets - 1) / buckets;
    std::vector<double> bx, by;
    for (std::size_t b = 0; b < sx.size(); b += per) {
      const std::size_t e = std::min(sx.size(), b + per);
      std::size_t lo = b, hi = b;
      for (std::size_t i = b; i < e; ++i) {
        if (sy[i] < sy[lo]) lo = i;
        if (sy[i] > sy[hi]) hi = i;
      }
      std::vector<std::size_t> keep = {b, lo, hi, e - 1};
      std::sort(keep.begin(), keep.end());
      keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
      for (std::size_t i : keep) {
        bx.push_back(sx[i]);
        by.push_back(sy[i]);
      }
    }
    sx.swap(bx);
    sy.swap(by);
  }
  x.swap(sx);
  y.swap(sy);
}

std::string line_chart(const SvgAxes& axes, std::vector<SvgSeries> series) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (SvgSeries& s : series) {
    s.x.resize(std::min(s.x.size(), s.y.size()));
    s.y.resize(s.x.size());
    if (s.connect) simplify(s.x, s.y);  // a scatter keeps every point
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (axes.log_y && s.y[i] <= 0) || (axes.log_x && s.x[i] <= 0))
        continue;
      const double u = axes.log_x ? std::log10(s.x[i]) : s.x[i];
      x0 = std::min(x0, u);
      x1 = std::max(x1, u);
      const double v = axes.log_y ? std::log10(s.y[i]) : s.y[i];
      y0 = std::min(y0, v);
      y1 = std::max(y1, v);
    }
  }
  for (const GuideLine& g : axes.guides)
    if (!axes.log_y || g.y > 0) {
      const double v = axes.log_y ? std::log10(g.y) : g.y;
      y0 = std::min(y0, v);
      y1 = std::max(y1, v);
    }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  if (axes.log_y) {  // whole decades read best on a log axis
    y0 = std::floor(y0 + pad * 0.99);
    y1 = std::ceil(y1 - pad * 0.99);
  }
  if (!std::isnan(axes.x_min)) x0 = axes.log_x ? std::log10(axes.x_min) : axes.x_min;
  if (!std::isnan(axes.x_max)) x1 = axes.log_x ? std::log10(axes.x_max) : axes.x_max;
  if (!std::isnan(axes.y_min)) y0 = axes.log_y ? std::log10(axes.y_min) : axes.y_min;
  if (!std::isnan(axes.y_max)) y1 = axes.log_y ? std::log10(axes.y_max) : axes.y_max;

  std::vector<Frame::LegendEntry> legend;
  for (const SvgSeries& s : series)
    if (!s.label.empty()) legend.push_back({s.label, s.color, s.dashed, !s.connect});
  Frame frame(axes, x0, x1, y0, y1, legend);
  std::string svg = frame.open();
  svg += frame.clip_open();
  for (const GuideLine& g : axes.guides) {
    if (axes.log_y && g.y <= 0) continue;
    const double y = frame.py(g.y);
    svg += fmt::format("<line class=\"guide\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", f1(frame.left()), f1(y),
                       f1(frame.right()), f1(y));
    if (!g.label.empty())
      svg += fmt::format("<text class=\"guide-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                         f1(frame.right() - 4), f1(y - 4), escape(g.label));
  }
  for (const SvgSeries& s : series) {
    const std::string style = fmt::format(
        " fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\"{}{}", s.color, s.width,
        s.dashed ? " stroke-dasharray=\"6 4\"" : "", s.opacity < 1 ? fmt::format(" stroke-opacity=\"{}\"", s.opacity) : "");
    std::string points;
    const bool markers = s.markers || !s.connect;
    auto flush = [&] {
      if (!s.connect) return points.clear();
      if (points.find(' ') != std::string::npos)
        svg += fmt::format("<polyline class=\"series\" data-label=\"{}\" points=\"{}\"{}/>", escape(s.label),
                           points, style);
      else if (!points.empty() && !markers)  // a lone point: a dot, or it would not show
        svg += fmt::format("<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"/>",
                           points.substr(0, points.find(',')), points.substr(points.find(',') + 1), f1(s.width + 1.5),
                           s.color);
      points.clear();
    };
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!frame.visible(s.x[i], s.y[i])) {
        flush();
        continue;
      }
      if (!points.empty()) points += ' ';
      points += f1(frame.px(s.x[i])) + "," + f1(frame.py(s.y[i]));
    }
    flush();
    if (markers)
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (frame.visible(s.x[i], s.y[i]))
          svg += fmt::format("<circle class=\"marker\" data-label=\"{}\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"{}/>",
                             escape(s.label), f1(frame.px(s.x[i])), f1(frame.py(s.y[i])), f1(s.width + 1), s.color,
                             s.opacity < 1 ? fmt::format(" fill-opacity=\"{}\"", s.opacity) : "");
  }
  svg += "</g>";
  svg += frame.legend();
  return svg + "</svg>";
}

std::string histogram_chart(const SvgAxes& axes, const Histogram& bars, const Histogram* overlay,
                            const std::string& bar_color) {
  double lo = bars.lo, hi = bars.hi, top = 0;
  for (double c : bars.counts) top = std::max(top, c);
  if (overlay) {
    lo = std::min(lo, overlay->lo);
    hi = std::max(hi, overlay->hi);
    for (double c : overlay->counts) top = std::max(top, c);
  }
  if (!(hi > lo)) {  // every value equal: one bin of width 1 around it
    lo -= 0.5;
    hi += 0.5;
  }
  std::vector<Frame::LegendEntry> legend;
  if (!bars.label.empty()) legend.push_back({bars.label, bar_color, false});
  if (overlay && !overlay->label.empty()) legend.push_back({overlay->label, "#333", true});
  Frame frame(axes, lo, hi, 0, top > 0 ? top * 1.05 : 1, legend);
  frame.kind_ = "histogram";
  std::string svg = frame.open() + frame.clip_open();
  auto bin_x = [](const Histogram& h, std::size_t i, double lo_, double hi_) {
    const double a = h.hi > h.lo ? h.lo : lo_, b = h.hi > h.lo ? h.hi : hi_;
    return a + (b - a) * static_cast<double>(i) / static_cast<double>(h.counts.size());
  };
  std::string d;
  for (std::size_t i = 0; i < bars.counts.size(); ++i) {
    if (bars.counts[i] <= 0) continue;
    const double xa = frame.px(bin_x(bars, i, lo, hi)), xb = frame.px(bin_x(bars, i + 1, lo, hi));
    d += fmt::format("M{},{}V{}H{}V{}Z", f1(xa), f1(frame.bottom()), f1(frame.py(bars.counts[i])), f1(xb),
                     f1(frame.bottom()));
  }
  svg += fmt::format("<path class=\"bars\" data-label=\"{}\" data-bins=\"{}\" d=\"{}\" fill=\"{}\" fill-opacity=\"0.75\"/>",
                     escape(bars.label), bars.counts.size(), d, bar_color);
  if (overlay && !overlay->counts.empty()) {
    std::string points;
    for (std::size_t i = 0; i < overlay->counts.size(); ++i) {
      const double xa = frame.px(bin_x(*overlay, i, lo, hi)), xb = frame.px(bin_x(*overlay, i + 1, lo, hi));
      const double y = frame.py(overlay->counts[i]);
      if (i == 0) points += fmt::format("{:.1f},{:.1f}", xa, frame.bottom());
      points += fmt::format(" {:.1f},{:.1f} {:.1f},{:.1f}", xa, y, xb, y);
    }
    points += fmt::format(" {:.1f},{:.1f}", frame.px(bin_x(*overlay, overlay->counts.size(), lo, hi)), frame.bottom());
    svg += fmt::format("<polyline class=\"series overlay\" data-label=\"{}\" points=\"{}\" fill=\"none\" "
                       "stroke=\"#333\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>",
                       escape(overlay->label), points);
  }
  svg += "</g>";
  svg += frame.legend();
  return svg + "</svg>";
}

}  // namespace gradnet::report
