// gradnet optim-demo [--out DIR] [--steps N]
// Runs every optimizer (the library's Optimizer<double>, from make_optimizer, on one Param holding
// the point (x, y)) on four 2-D test functions from the same start, and writes DIR/<function>.png
// (shaded contours + one coloured path per optimizer + legend) and DIR/paths.json. Each optimizer
// gets a learning rate that suits it on that function (the table below): the point is to see how
// they move, not a race at equal lr.
#include <cmath>
#include <filesystem>
#include <array>
#include <fstream>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/error.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/plot.h"
#include "options.h"

namespace gradnet::cli {

namespace {

struct TestFunction {
  std::string name, formula;
  std::function<double(double, double, double*, double*)> f;  // value; gradient into gx, gy
  double x0, y0;                                               // start
  double xmin, xmax, ymin, ymax;                               // plotted box
  Index steps;
  std::map<std::string, double> lr;                            // per optimizer
  bool log_levels;
  std::string target;     // what is marked: "minimum" or "saddle point"
  double target_x, target_y;
};

std::vector<TestFunction> test_functions() {
  std::vector<TestFunction> v;
  v.push_back({"bowl", "f = 0.05 x^2 + y^2 (condition number 20)",
               [](double x, double y, double* gx, double* gy) {
                 *gx = 0.1 * x;
                 *gy = 2 * y;
                 return 0.05 * x * x + y * y;
               },
               -4.5, 2.5, -5, 5, -3, 3, 80,
               {{"sgd", 0.9}, {"momentum", 0.15}, {"nesterov", 0.15}, {"adagrad", 1.0}, {"rmsprop", 0.1},
                {"adam", 0.3}, {"adamw", 0.3}, {"adadelta", 5.0}, {"lbfgs", 1.0}},
               true, "minimum", 0, 0});
  v.push_back({"rosenbrock", "f = (1 - x)^2 + 100 (y - x^2)^2, minimum at (1, 1)",
               [](double x, double y, double* gx, double* gy) {
                 *gx = -2 * (1 - x) - 400 * x * (y - x * x);
                 *gy = 200 * (y - x * x);
                 return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
               },
               -1.5, 2.0, -2, 2, -1, 3, 500,
               {{"sgd", 1e-3}, {"momentum", 2e-4}, {"nesterov", 2e-4}, {"adagrad", 0.2}, {"rmsprop", 0.01},
                {"adam", 0.05}, {"adamw", 0.05}, {"adadelta", 10.0}, {"lbfgs", 1.0}},
               true, "minimum", 1, 1});
  v.push_back({"beale", "f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2, minimum at (3, 0.5)",
               [](double x, double y, double* gx, double* gy) {
                 const double a = 1.5 - x + x * y, b = 2.25 - x + x * y * y, c = 2.625 - x + x * y * y * y;
                 *gx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y * y * y - 1);
                 *gy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y * y;
                 return a * a + b * b + c * c;
               },
               1.0, 1.4, -4.5, 4.5, -4.5, 4.5, 400,
               {{"sgd", 1e-3}, {"momentum", 5e-4}, {"nesterov", 5e-4}, {"adagrad", 0.5}, {"rmsprop", 0.01},
                {"adam", 0.05}, {"adamw", 0.05}, {"adadelta", 10.0}, {"lbfgs", 1.0}},
               true, "minimum", 3, 0.5});
  v.push_back({"saddle", "f = x^2 - y^2 (a saddle at the origin)",
               [](double x, double y, double* gx, double* gy) {
                 *gx = 2 * x;
                 *gy = -2 * y;
                 return x * x - y * y;
               },
               -1.8, 1e-3, -2, 2, -2, 2, 60,
               {{"sgd", 0.05}, {"momentum", 0.02}, {"nesterov", 0.02}, {"adagrad", 0.3}, {"rmsprop", 0.02},
                {"adam", 0.05}, {"adamw", 0.05}, {"adadelta", 5.0}, {"lbfgs", 0.1}},
               false, "saddle point", 0, 0});
  return v;
}

struct Variant {
  std::string name;
  OptimizerOptions options;
};

std::vector<Variant> variants() {
  using T = OptimizerType;
  std::vector<Variant> v;
  auto add = [&](const std::string& name, OptimizerType type, auto tweak) {
    OptimizerOptions o = OptimizerOptions::of(type);
    tweak(o);
    v.push_back({name, o});
  };
  add("sgd", T::sgd, [](OptimizerOptions&) {});
  add("momentum", T::sgd, [](OptimizerOptions& o) { o.sgd().momentum = 0.9; });
  add("nesterov", T::sgd, [](OptimizerOptions& o) { o.sgd().momentum = 0.9; o.sgd().nesterov = true; });
  for (T t : {T::adagrad, T::rmsprop, T::adam, T::adamw, T::adadelta}) add(std::string(name_of(t)), t, [](OptimizerOptions&) {});
  add("lbfgs", T::lbfgs, [](OptimizerOptions& o) { o.lbfgs().line_search = LineSearch::strong_wolfe; o.lbfgs().max_iter = 1; });
  return v;
}

// The path of one optimizer: the start, then the point after each step; stops early when the
// point leaves a box three times the plotted one or stops being finite.
std::vector<std::array<double, 2>> run_path(const TestFunction& fn, const Variant& var, double lr, Index steps) {
  Param<double> p;
  p.name = "point";
  p.resize({2});
  p.value.data()[0] = fn.x0;
  p.value.data()[1] = fn.y0;
  auto opt = make_optimizer<double>(var.options, {&p});
  auto closure = [&] {
    double* g = p.grad.data();
    return fn.f(p.value.data()[0], p.value.data()[1], &g[0], &g[1]);
  };
  std::vector<std::array<double, 2>> path = {{fn.x0, fn.y0}};
  const double wx = fn.xmax - fn.xmin, wy = fn.ymax - fn.ymin;
  for (Index s = 0; s < steps; ++s) {
    if (opt->needs_closure()) opt->step_closure(lr, closure);
    else {
      closure();
      opt->step(lr);
    }
    const double x = p.value.data()[0], y = p.value.data()[1];
    if (!std::isfinite(x) || !std::isfinite(y) || x < fn.xmin - wx || x > fn.xmax + wx || y < fn.ymin - wy ||
        y > fn.ymax + wy)
      break;
    path.push_back({x, y});
  }
  return path;
}

struct OptimDemoArgs {
  std::string out;  // "": runs/optim-demo-<UTC>
  Index steps = 0;
};

}  // namespace

Command add_optim_demo(CLI::App& root) {
  auto args = std::make_shared<OptimDemoArgs>();
  CLI::App* app = root.add_subcommand(
      "optim-demo", "Run every optimizer on 2-D test functions; write contour plots with their paths, and paths.json");
  app->add_option("--out", args->out, "Directory for <function>.png and paths.json (default: runs/optim-demo-<UTC>)")
      ->type_name("DIR");
  app->add_option("--steps", args->steps, "Steps per optimizer, 1 to 100000 (default: per function, 60 to 500)")
      ->type_name("N")
      ->check(integer_in(1, 100000));
  set_examples(app, {"gradnet optim-demo", "gradnet optim-demo --out demo --steps 100"});
  return {app, [args] {
            if (args->out.empty()) args->out = default_out_dir("optim-demo");
            std::error_code ec;
            std::filesystem::create_directories(args->out, ec);
            if (ec) fail(ErrorKind::usage, "--out {}: cannot create the directory: {}", args->out, ec.message());
            nlohmann::json doc = {{"functions", nlohmann::json::array()}};
            const std::vector<Variant> vars = variants();
            for (const TestFunction& fn : test_functions()) {
              const Index steps = args->steps > 0 ? args->steps : fn.steps;
              nlohmann::json jf = {{"name", fn.name}, {"formula", fn.formula}, {"start", {fn.x0, fn.y0}},
                                   {"steps", steps}, {"optimizers", nlohmann::json::array()},
                                   {"target", {{"kind", fn.target}, {"at", {fn.target_x, fn.target_y}}}}};
              std::vector<plot::Series> series;
              for (std::size_t k = 0; k < vars.size(); ++k) {
                const double lr = fn.lr.at(vars[k].name);
                const auto path = run_path(fn, vars[k], lr, steps);
                plot::Series s{fmt::format("{} (lr {:g})", vars[k].name, lr), {}, {}, plot::palette(static_cast<int>(k)),
                               2.0};
                s.end_markers = true;
                for (const auto& pt : path) {
                  s.x.push_back(pt[0]);
                  s.y.push_back(pt[1]);
                }
                double gx, gy;
                const double final_f = fn.f(path.back()[0], path.back()[1], &gx, &gy);
                jf["optimizers"].push_back({{"name", vars[k].name}, {"type", name_of(vars[k].options.type)}, {"lr", lr},
                                            {"final", {path.back()[0], path.back()[1]}}, {"final_f", final_f},
                                            {"path", path}});
                series.push_back(std::move(s));
              }
              plot::Series target{fmt::format("{} ({:g}, {:g})", fn.target, fn.target_x, fn.target_y),
                                  {fn.target_x}, {fn.target_y}, {0.05, 0.05, 0.05}, 0};
              target.target_markers = true;
              series.push_back(std::move(target));
              plot::Grid grid{fn.xmin, fn.xmax, fn.ymin, fn.ymax, 241, 241, {}};
              double lo = INFINITY, hi = -INFINITY, gx, gy;
              for (int j = 0; j < grid.ny; ++j)
                for (int i = 0; i < grid.nx; ++i) {
                  const double z = fn.f(fn.xmin + (fn.xmax - fn.xmin) * i / (grid.nx - 1),
                                        fn.ymin + (fn.ymax - fn.ymin) * j / (grid.ny - 1), &gx, &gy);
                  grid.z.push_back(z);
                  lo = std::min(lo, z);
                  hi = std::max(hi, z);
                }
              const std::vector<double> levels =
                  fn.log_levels ? plot::contour_levels(std::max(lo, hi * 1e-6) + 1e-3, hi, 24, true)
                                : plot::contour_levels(lo, hi, 24, false);
              plot::Axes axes;
              axes.title = fmt::format("{}: {} steps from ({:g}, {:g})", fn.name, steps, fn.x0, fn.y0);
              axes.x_label = "x";
              axes.y_label = "y";
              axes.note = fn.formula + "   (circle: start, square: end)";
              axes.width = 760;
              axes.legend_outside = 250;  // inside the plot the legend hid a path on some function
              axes.height = 680;
              const std::string png = (std::filesystem::path(args->out) / (fn.name + ".png")).string();
              plot::contour_plot(png, axes, grid, levels, series);
              jf["png"] = png;
              doc["functions"].push_back(jf);
              fmt::print("{}\n", png);
            }
            const std::string json_path = (std::filesystem::path(args->out) / "paths.json").string();
            std::ofstream f(json_path);
            f << doc.dump() << "\n";
            if (!f) fail(ErrorKind::runtime, "cannot write {}", json_path);
            fmt::print("{}\n", json_path);
            return 0;
          }};
}

}  // namespace gradnet::cli
