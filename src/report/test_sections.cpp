// The sections computed from model.safetensors: first-layer weights, and on the test split the
// confusion matrix, per-class metrics, ROC / precision-recall curves and the gallery of the
// most confidently wrong examples.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "html.h"
#include "image.h"
#include "sections.h"
#include "svg.h"

namespace gradnet::report {

namespace {

constexpr Index kMaxTiles = 100;

std::string unavailable(const Context& c) {
  return callout("info", "Not available: " + escape(c.test.problem.empty() ? c.model_problem : c.test.problem));
}

// Display range of raw example values: pixels 0..255 as they are, anything else min..max.
std::pair<double, double> display_range(const float* v, Index n) {
  double lo = INFINITY, hi = -INFINITY;
  for (Index i = 0; i < n; ++i) lo = std::min<double>(lo, v[i]), hi = std::max<double>(hi, v[i]);
  if (lo >= 0 && hi <= 255 && hi > 1) return {0, 255};
  return {lo, hi};
}

}  // namespace

Section weights_section(const Context& c) {
  Section s{"weights", "First-layer weights", ""};
  const FirstLayer& w = c.first_layer;
  if (w.name.empty()) {
    s.html = callout("info", c.model_problem.empty() ? "The model has no weight matrix to show."
                                                     : "Not available: " + escape(c.model_problem));
    s.missing = !c.model_problem.empty();
    return s;
  }
  const Index units = w.shape.empty() ? 0 : w.shape[0];
  const Index fan_in = units ? static_cast<Index>(w.values.size()) / units : 0;
  const Index shown = std::min(units, kMaxTiles);
  // A tile per unit when its incoming weights form an image: the input's C x H x W, or the kernel
  // of a convolution (out, C, kh, kw).
  Shape tile;
  if (w.shape.size() == 4) tile = {w.shape[1], w.shape[2], w.shape[3]};
  else if (c.image_shape.size() == 3 && numel(c.image_shape) == fan_in) tile = c.image_shape;
  std::string html;
  if (!tile.empty()) {
    const int ch = tile[0] == 3 ? 3 : 1, h = static_cast<int>(tile[1]), wd = static_cast<int>(tile[2]);
    std::vector<Image> tiles;
    for (Index u = 0; u < shown; ++u) {
      const float* v = w.values.data() + u * fan_in;
      const Index n = ch * h * wd;
      const auto [lo, hi] = std::minmax_element(v, v + n);
      tiles.push_back(image_from_planes(v, ch, h, wd, *lo, *hi));
    }
    // Columns: from about square up to 12, the count that leaves the fewest empty cells.
    const int n = static_cast<int>(shown);
    int cols = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n)))));
    for (int k = cols + 1; k <= std::min(12, n); ++k)
      if ((k - n % k) % k < (cols - n % cols) % cols) cols = k;
    const int scale = std::max(1, static_cast<int>(std::lround(72.0 / std::max(h, wd))));
    const Image grid = tile_grid(tiles, cols, 1, 0x3a4150);
    html += fmt::format("<img class=\"weights\" alt=\"first-layer weights\" width=\"{}\" height=\"{}\" src=\"{}\">",
                        grid.width * scale, grid.height * scale, png_data_uri(grid, scale));
    html += fmt::format(
        "<p>Each tile is one unit of <code>{}</code> ({} of {} units): its {} incoming weights shown as the "
        "{}×{}{} input they are multiplied with, scaled to the tile's own range (black = most negative, white = "
        "most positive). A well-trained first layer shows smooth, stroke- or blob-like templates; tiles of pure "
        "noise mean the layer barely trained (too low a learning rate, too few epochs, or too much noise in the "
        "gradients); many identical tiles mean the units never broke symmetry (initialization).</p>",
        escape(w.name), shown, units, fan_in, h, wd, ch == 3 ? "×3 (RGB)" : "");
  } else {
    // Not an image: the matrix itself on a diverging scale, the longer side horizontal.
    const int rows = static_cast<int>(shown), cols = static_cast<int>(fan_in);
    const bool transpose = cols < rows;
    std::vector<float> m(w.values.begin(), w.values.begin() + static_cast<long>(shown * fan_in));
    if (transpose)
      for (int r = 0; r < rows; ++r)
        for (int k = 0; k < cols; ++k) m[static_cast<std::size_t>(k) * rows + r] = w.values[static_cast<std::size_t>(r) * cols + k];
    const Image img = transpose ? diverging_heatmap(m.data(), cols, rows) : diverging_heatmap(m.data(), rows, cols);
    const int scale = std::clamp(640 / std::max(img.width, 1), 1, 28);
    html += fmt::format("<img class=\"weights\" alt=\"first-layer weight matrix\" width=\"{}\" height=\"{}\" src=\"{}\">",
                        img.width * scale, img.height * scale, png_data_uri(img, scale));
    html += fmt::format(
        "<p>The inputs are not images, so <code>{}</code> is shown as its matrix: one {} per unit ({} of {}), one {} "
        "per input feature ({}); red positive, blue negative, white 0 (scale ±max |w|). A feature whose {} stays "
        "white is one the layer ignores.</p>",
        escape(w.name), transpose ? "column" : "row", shown, units, transpose ? "row" : "column", fan_in,
        transpose ? "row" : "column");
  }
  s.html = html;
  return s;
}

Section confusion_section(const Context& c) {
  Section s{"confusion", "Confusion matrix (test split)", ""};
  if (!c.test.problem.empty() || !c.model_problem.empty()) {
    s.html = unavailable(c);
    s.missing = true;
    return s;
  }
  const ClassificationMetrics& m = c.test.metrics;
  const auto K = static_cast<std::size_t>(m.classes);
  std::string t = "<table class=\"confusion\"><tr><th class=\"corner\">true ↓ predicted →</th>";
  for (std::size_t j = 0; j < K; ++j) t += "<th>" + escape(c.class_name(static_cast<Index>(j))) + "</th>";
  t += "<th>total</th><th>recall</th></tr>";
  struct Pair { Index count; std::size_t i, j; };
  std::vector<Pair> pairs;
  for (std::size_t i = 0; i < K; ++i) {
    const Index total = m.per_class[i].support;
    t += "<tr><th>" + escape(c.class_name(static_cast<Index>(i))) + "</th>";
    for (std::size_t j = 0; j < K; ++j) {
      const Index v = m.confusion[i][j];
      const double frac = total ? static_cast<double>(v) / static_cast<double>(total) : 0;
      // Row-normalized: the diagonal in green by recall; errors in red, square-root scaled so a few
      // percent still show.
      const double alpha = i == j ? frac : std::sqrt(frac);
      const std::string rgb = i == j ? "44,160,44" : "214,39,40";
      t += fmt::format("<td style=\"background:rgba({},{:.3f})\"{} title=\"true {} → predicted {}: {} ({:.1f}% of the row)\">{}</td>",
                       rgb, alpha, alpha > 0.55 ? " class=\"dark\"" : "", escape(c.class_name(static_cast<Index>(i))),
                       escape(c.class_name(static_cast<Index>(j))), v, frac * 100, v);
      if (i != j && v > 0) pairs.push_back({v, i, j});
    }
    t += fmt::format("<td class=\"total\">{}</td><td class=\"total\">{}</td></tr>", total, num(m.per_class[i].recall, 3));
  }
  t += "<tr><th>predicted</th>";
  for (std::size_t j = 0; j < K; ++j) t += fmt::format("<td class=\"total\">{}</td>", m.per_class[j].predicted);
  t += fmt::format("<td class=\"total\">{}</td><td></td></tr></table>", m.examples);
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.count > b.count; });
  std::string top;
  for (std::size_t k = 0; k < std::min<std::size_t>(5, pairs.size()); ++k)
    top += fmt::format("{}{} → {} ({})", k ? ", " : "", escape(c.class_name(static_cast<Index>(pairs[k].i))),
                       escape(c.class_name(static_cast<Index>(pairs[k].j))), pairs[k].count);
  Index diagonal = 0;
  for (std::size_t i = 0; i < K; ++i) diagonal += m.confusion[i][i];
  s.html = "<div class=\"scroll\">" + t + "</div>";
  s.html += fmt::format("<p>Rows are the true classes, columns the predicted ones; {} of {} test examples lie on the "
                        "diagonal (accuracy {}). Cells are shaded by their share of the row. {}</p>",
                        diagonal,
                        m.examples, num(m.accuracy),
                        pairs.empty() ? "There are no errors." : "Most frequent confusions (true → predicted): " + top + ".");
  return s;
}

Section per_class_section(const Context& c) {
  Section s{"per-class", "Per-class precision, recall and F1 (test split)", ""};
  if (!c.test.problem.empty() || !c.model_problem.empty()) {
    s.html = unavailable(c);
    s.missing = true;
    return s;
  }
  const ClassificationMetrics& m = c.test.metrics;
  auto bar = [](double v) {
    if (std::isnan(v)) return std::string("<td>-</td>");
    return fmt::format("<td class=\"bar\" style=\"--v:{:.1f}%\">{}</td>", std::clamp(v, 0.0, 1.0) * 100, num(v, 3));
  };
  std::string t = "<table class=\"numbers metrics\"><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th>"
                  "<th>support</th><th>predicted</th><th>ROC AUC</th><th>avg. precision</th></tr>";
  for (std::size_t k = 0; k < m.per_class.size(); ++k) {
    const ClassMetrics& p = m.per_class[k];
    t += "<tr><th>" + escape(c.class_name(static_cast<Index>(k))) + "</th>" + bar(p.precision) + bar(p.recall) +
         bar(p.f1) + fmt::format("<td>{}</td><td>{}</td>", p.support, p.predicted) + bar(p.roc_auc) +
         bar(p.average_precision) + "</tr>";
  }
  t += "<tr class=\"avg\"><th>macro avg</th>" + bar(m.macro.precision) + bar(m.macro.recall) + bar(m.macro.f1) +
       fmt::format("<td>{}</td><td></td>", m.examples) + bar(m.macro_roc_auc) + bar(m.macro_average_precision) + "</tr>";
  t += "<tr class=\"avg\"><th>weighted avg</th>" + bar(m.weighted.precision) + bar(m.weighted.recall) +
       bar(m.weighted.f1) + fmt::format("<td>{}</td><td></td><td></td><td></td></tr></table>", m.examples);
  std::string topk;
  for (const TopK& k : m.top_k) topk += fmt::format("{}top-{} <b>{}</b>", topk.empty() ? "" : ", ", k.k, num(k.accuracy));
  // The weakest class by F1, for the sentence under the table.
  std::size_t worst = 0;
  for (std::size_t k = 0; k < m.per_class.size(); ++k)
    if (m.per_class[k].f1 < m.per_class[worst].f1) worst = k;
  s.html = fmt::format("<p>Accuracy {} on {} test examples; top-k accuracy: {}.</p>", num(m.accuracy), m.examples, topk);
  s.html += "<div class=\"scroll\">" + t + "</div>";
  if (!m.per_class.empty() && m.per_class[worst].f1 < 1)
    s.html += fmt::format(
        "<p>Precision: of the examples predicted as the class, the share that are; recall: of the examples of the "
        "class, the share found; F1: their harmonic mean. Macro averages weigh every class alike, weighted "
        "averages by support. The weakest class is {} (F1 {}).</p>",
        escape(c.class_name(static_cast<Index>(worst))), num(m.per_class[worst].f1, 3));
  return s;
}

Section roc_pr_section(const Context& c) {
  Section s{"roc-pr", "ROC and precision-recall curves (one-vs-rest, test split)", ""};
  if (!c.test.problem.empty() || !c.model_problem.empty()) {
    s.html = unavailable(c);
    s.missing = true;
    return s;
  }
  const ClassificationMetrics& m = c.test.metrics;
  std::vector<SvgSeries> roc, pr;
  roc.push_back({"chance", {0, 1}, {0, 1}, "#999999", 1.2, true});
  for (std::size_t k = 0; k < m.per_class.size(); ++k) {
    const std::string name = c.class_name(static_cast<Index>(k));
    if (!m.roc[k].x.empty())
      roc.push_back({fmt::format("{} (AUC {})", name, num(m.per_class[k].roc_auc, 3)), m.roc[k].x, m.roc[k].y,
                     color(static_cast<int>(k)), 1.4});
    if (!m.pr[k].x.empty())
      pr.push_back({fmt::format("{} (AP {})", name, num(m.per_class[k].average_precision, 3)), m.pr[k].x, m.pr[k].y,
                    color(static_cast<int>(k)), 1.4});
  }
  SvgAxes a;
  a.id = "chart-roc";
  a.title = fmt::format("ROC (macro AUC {})", num(m.macro_roc_auc, 4));
  a.x_label = "false positive rate";
  a.y_label = "true positive rate";
  a.width = 530;
  a.height = 420;
  a.x_min = -0.01, a.x_max = 1.01, a.y_min = -0.01, a.y_max = 1.01;
  SvgAxes b = a;
  b.id = "chart-pr";
  b.title = fmt::format("Precision-recall (macro AP {})", num(m.macro_average_precision, 4));
  b.x_label = "recall";
  b.y_label = "precision";
  s.html = "<div class=\"charts\">" + line_chart(a, roc) + line_chart(b, pr) + "</div>";
  s.html += fmt::format(
      "<p>Each class against all others, scored by its {} (exact curves: one point per distinct score). ROC AUC "
      "is the probability that a random example of the class scores higher than a random other example (0.5: "
      "chance, 1: perfect); it hides the class imbalance that one-vs-rest creates. Average precision (the area "
      "under the precision-recall curve, step-wise as sklearn computes it) does not: with {} classes, a useless "
      "scorer would get about the class's share of the examples.</p>",
      c.test.probabilities ? "predicted probability" : "output (mse: raw scores)", m.classes);
  return s;
}

Section gallery_section(const Context& c) {
  Section s{"gallery", "Most confidently wrong test examples", ""};
  if (!c.test.problem.empty() || !c.model_problem.empty()) {
    s.html = unavailable(c);
    s.missing = true;
    return s;
  }
  const ClassificationMetrics& m = c.test.metrics;
  const Dataset& raw = c.test.raw;
  std::vector<Index> wrong;
  for (Index i = 0; i < m.examples; ++i)
    if (m.predicted[i] != raw.y[i]) wrong.push_back(i);
  const ConstView<float> p = c.test.probs.view();
  std::stable_sort(wrong.begin(), wrong.end(), [&](Index a, Index b) { return p(a, m.predicted[a]) > p(b, m.predicted[b]); });
  if (wrong.empty()) {
    s.html = callout("good", fmt::format("All {} test examples are classified correctly.", m.examples));
    return s;
  }
  const std::size_t shown = std::min<std::size_t>(wrong.size(), static_cast<std::size_t>(std::max<Index>(c.options.gallery, 0)));
  if (shown == 0) {
    s.html = callout("info", fmt::format("{} of {} test examples are wrong; the gallery is off (--gallery 0).",
                                         wrong.size(), m.examples));
    return s;
  }
  const std::string pw = c.test.probabilities ? "p" : "score";
  const bool image = c.image_shape.size() == 3 && numel(c.image_shape) == raw.features() &&
                     (c.image_shape[0] == 1 || c.image_shape[0] == 3);
  std::string g = image ? "<div class=\"gallery\">" : "<div class=\"gallery wide\">";
  std::vector<float> row;  // the example's raw values (byte rows converted)
  for (std::size_t k = 0; k < shown; ++k) {
    const Index i = wrong[k];
    const std::int32_t y = raw.y[i], yp = m.predicted[i];
    const float* x = raw.rows(i, 1, row).data;
    std::string visual;
    if (image) {
      const int ch = static_cast<int>(c.image_shape[0]), h = static_cast<int>(c.image_shape[1]),
                w = static_cast<int>(c.image_shape[2]);
      const auto [lo, hi] = display_range(x, raw.features());
      const int scale = std::max(1, static_cast<int>(std::lround(84.0 / std::max(h, w))));
      visual = fmt::format("<img alt=\"test example {}\" width=\"{}\" height=\"{}\" src=\"{}\">", i, w * scale,
                           h * scale, png_data_uri(image_from_planes(x, ch, h, w, lo, hi), scale));
    } else {
      std::string values;
      const Index n = std::min<Index>(raw.features(), 16);
      for (Index j = 0; j < n; ++j) values += (j ? ", " : "") + fmt::format("{:.4g}", x[j]);
      if (raw.features() > n) values += fmt::format(", … ({} features)", raw.features());
      visual = "<code class=\"features\">x = [" + escape(values) + "]</code>";
    }
    g += fmt::format(
        "<figure title=\"test example #{0}: true {1} ({4} {2}), predicted {3} ({4} {5})\">{6}<figcaption>"
        "pred <b class=\"bad\">{3}</b> {5}<br>true <b>{1}</b> {2}<br><span class=\"muted\">#{0}</span></figcaption>"
        "</figure>",
        i, escape(c.class_name(y)), num(p(i, y), 3), escape(c.class_name(yp)), pw, num(p(i, yp), 3), visual);
  }
  s.html = g + "</div>";
  s.html += fmt::format(
      "<p>{}, most confident first{}, each with the {} of the predicted (pred) and of the true class, and its "
      "index in the test split. Confident mistakes are often mislabeled or ambiguous examples; if they look easy, "
      "the model has learned a shortcut.</p>",
      shown == wrong.size() ? fmt::format("All {} wrong predictions", shown)
                            : fmt::format("The {} wrong predictions (of {}) the model was surest of", shown, wrong.size()),
      image ? " (raw pixels, before normalization)" : " (raw feature values, before normalization)",
      c.test.probabilities ? "probability" : "score");
  return s;
}

}  // namespace gradnet::report
