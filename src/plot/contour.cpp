// contour_plot: the grid shaded by level band (a light viridis ramp), iso-lines by marching squares,
// then the paths on top, clipped to the grid's box.
#include <algorithm>
#include <cmath>

#include "canvas.h"
#include "gradnet/error.h"

namespace gradnet::plot {
namespace {

// viridis at u in [0, 1], mixed halfway with white so paths stay readable on top.
Color band_color(double u) {
  static const Color stops[] = {{0.267, 0.005, 0.329}, {0.230, 0.322, 0.546}, {0.128, 0.567, 0.551},
                                {0.369, 0.789, 0.383}, {0.993, 0.906, 0.144}};
  u = std::clamp(u, 0.0, 1.0) * 4.0;
  const int i = std::min(3, static_cast<int>(u));
  const double f = u - i;
  const Color a = stops[i], b = stops[i + 1];
  auto mix = [f](double p, double q) { return 0.45 * (p + (q - p) * f) + 0.55; };
  return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

int band(const std::vector<double>& levels, double z) {
  return static_cast<int>(std::upper_bound(levels.begin(), levels.end(), z) - levels.begin());
}

}  // namespace

std::vector<double> contour_levels(double lo, double hi, int n, bool log) {
  std::vector<double> out;
  if (n < 1 || !(hi > lo)) return out;
  for (int i = 0; i < n; ++i) {
    const double f = n == 1 ? 0.5 : static_cast<double>(i) / (n - 1);
    out.push_back(log && lo > 0 ? lo * std::pow(hi / lo, f) : lo + (hi - lo) * f);
  }
  return out;
}

void contour_plot(const std::string& path, const Axes& axes_in, const Grid& g, const std::vector<double>& levels,
                  const std::vector<Series>& paths) {
  GRADNET_CHECK(g.nx >= 2 && g.ny >= 2 && g.z.size() == static_cast<std::size_t>(g.nx) * g.ny, internal,
                "contour_plot: grid {}x{} holds {} values", g.nx, g.ny, g.z.size());
  Axes axes = axes_in;
  axes.log_y = false;
  axes.log_x = false;
  detail::Canvas canvas(axes, g.x0, g.x1, g.y0, g.y1);
  cairo_t* cr = canvas.cr();
  const double dx = (g.x1 - g.x0) / (g.nx - 1), dy = (g.y1 - g.y0) / (g.ny - 1);
  auto z = [&](int i, int j) { return g.z[static_cast<std::size_t>(j) * g.nx + i]; };
  const double bands = static_cast<double>(levels.size());
  canvas.clip_to_plot();
  for (int j = 0; j < g.ny; ++j)  // shading: one rectangle per sample, centred on it
    for (int i = 0; i < g.nx; ++i) {
      const Color c = band_color(bands > 0 ? band(levels, z(i, j)) / bands : 0.5);
      cairo_set_source_rgb(cr, c.r, c.g, c.b);
      const double xa = canvas.px(g.x0 + (i - 0.5) * dx), xb = canvas.px(g.x0 + (i + 0.5) * dx);
      const double ya = canvas.py(g.y0 + (j + 0.5) * dy), yb = canvas.py(g.y0 + (j - 0.5) * dy);
      cairo_rectangle(cr, std::floor(xa), std::floor(ya), std::ceil(xb) - std::floor(xa) + 1,
                      std::ceil(yb) - std::floor(ya) + 1);
      cairo_fill(cr);
    }
  cairo_set_source_rgba(cr, 0.1, 0.1, 0.2, 0.35);
  cairo_set_line_width(cr, 0.8);
  for (double level : levels)  // marching squares: a segment per cell edge pair the level crosses
    for (int j = 0; j + 1 < g.ny; ++j)
      for (int i = 0; i + 1 < g.nx; ++i) {
        const double c[4] = {z(i, j), z(i + 1, j), z(i + 1, j + 1), z(i, j + 1)};
        const double cx[4] = {0, 1, 1, 0}, cy[4] = {0, 0, 1, 1};
        double px[4], py[4];
        int n = 0;
        for (int e = 0; e < 4; ++e) {
          const double a = c[e], b = c[(e + 1) % 4];
          if ((a < level) == (b < level) || !std::isfinite(a) || !std::isfinite(b)) continue;
          const double f = (level - a) / (b - a);
          px[n] = g.x0 + (i + cx[e] + f * (cx[(e + 1) % 4] - cx[e])) * dx;
          py[n] = g.y0 + (j + cy[e] + f * (cy[(e + 1) % 4] - cy[e])) * dy;
          ++n;
        }
        for (int k = 0; k + 1 < n; k += 2) {
          cairo_move_to(cr, canvas.px(px[k]), canvas.py(py[k]));
          cairo_line_to(cr, canvas.px(px[k + 1]), canvas.py(py[k + 1]));
        }
      }
  cairo_stroke(cr);
  for (const Series& s : paths) canvas.draw_series(s);
  canvas.unclip();
  canvas.draw_frame();
  canvas.draw_legend(paths);
  canvas.save(path);
}

}  // namespace gradnet::plot
