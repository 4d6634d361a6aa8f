// gradnet report: report.html of a real (tiny) MNIST run, rendered by headless Chromium (DOM
// checks, the page's end-of-body script ran, no uncaught script errors, a non-trivial screenshot),
// plus runs with monitor files, without them, and without a model.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/data/image.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A shell command with stdout and stderr captured.
CliResult run_shell(const std::string& command, const TempDir& tmp) {
  const std::string cmd = command + " >" + quote(tmp / "cmd.out") + " 2>" + quote(tmp / "cmd.err") + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(tmp / "cmd.out");
  r.err = read_file(tmp / "cmd.err");
  return r;
}

std::string chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return "";
}

// Headless Chromium with everything that would reach the network switched off.
std::string chromium_command(const std::string& binary, const TempDir& tmp) {
  return "timeout 180 " + quote(binary) +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --disable-extensions --hide-scrollbars"
         " --user-data-dir=" + quote(tmp / "chromium-profile");
}

std::string train_tiny(const TempDir& tmp, const std::string& extra = "") {
  const std::string mnist = find_dataset_dir("mnist");
  EXPECT_FALSE(mnist.empty()) << "MNIST not found: run scripts/setup";
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist, extra));
  const std::string run = tmp / "run";
  CliResult r = run_gradnet({"train", tmp / "tiny.toml", "--out", run, "-q", "--set", "train.epochs=3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return run;
}

// The text of <section id="id"> ... </section> in html ("" if absent).
std::string section(const std::string& html, const std::string& id) {
  const std::size_t b = html.find("<section id=\"" + id + "\"");
  if (b == std::string::npos) return "";
  const std::size_t e = html.find("</section>", b);
  return html.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

// The value of attribute `name` in the tag that starts at `tag` ("" if the tag has none).
std::string attribute(const std::string& html, std::size_t tag, const std::string& name) {
  const std::size_t end = html.find('>', tag);
  const std::size_t a = html.find(" " + name + "=\"", tag);
  if (a == std::string::npos || a > end) return "";
  const std::size_t b = a + name.size() + 3;
  return html.substr(b, html.find('"', b) - b);
}

// Polylines of class "series" with at least min_points points. (Plain string search: std::regex
// recurses per character and overflows the stack on a page of base64 images.)
int drawn_series(const std::string& html, std::size_t min_points = 2) {
  int n = 0;
  for (std::size_t p = html.find("<polyline class=\"series"); p != std::string::npos;
       p = html.find("<polyline class=\"series", p + 1)) {
    const std::string pts = attribute(html, p, "points");
    if (static_cast<std::size_t>(std::count(pts.begin(), pts.end(), ',')) >= min_points) ++n;
  }
  return n;
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

std::string base64_decode(const std::string& in) {
  std::string out;
  int bits = 0, value = 0;
  for (char c : in) {
    int d = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
          : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (d < 0) continue;
    value = value << 6 | d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(value >> bits & 0xff);
    }
  }
  return out;
}

// The decoded bytes of every data:image/png;base64 image in html.
std::vector<std::string> png_images(const std::string& html) {
  const std::string prefix = "src=\"data:image/png;base64,";
  std::vector<std::string> v;
  for (std::size_t p = html.find(prefix); p != std::string::npos; p = html.find(prefix, p + 1)) {
    const std::size_t b = p + prefix.size();
    v.push_back(base64_decode(html.substr(b, html.find('"', b) - b)));
  }
  return v;
}

bool is_png(const std::string& bytes) { return bytes.size() > 24 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0; }

const std::vector<std::string> kSections = {"summary",   "curves",  "lr",       "update-ratio", "histograms", "weights",
                                            "confusion", "per-class", "roc-pr", "gallery",      "config"};

// A run without model.safetensors has no test figures: those sections are neither on the page nor
// in its navigation, and the summary names them once.
void expect_left_out_without_a_model(const std::string& html) {
  for (const char* id : {"weights", "confusion", "per-class", "roc-pr", "gallery"}) {
    EXPECT_TRUE(section(html, id).empty()) << id;
    EXPECT_EQ(html.find(std::string("href=\"#") + id + "\""), std::string::npos) << id;
  }
  const std::string summary = section(html, "summary");
  EXPECT_NE(summary.find("Not in this report: First-layer"), std::string::npos) << summary;
  EXPECT_NE(summary.find("model.safetensors"), std::string::npos) << summary;
}

// The x-axis tick labels of the svg with this id: the tick texts on the lowest row.
std::vector<std::string> x_tick_labels(const std::string& html, const std::string& id) {
  const std::size_t b = html.find("id=\"" + id + "\""), e = html.find("</svg>", b);
  std::vector<std::pair<double, std::string>> ticks;
  for (std::size_t p = html.find("<text class=\"tick\"", b); p < e; p = html.find("<text class=\"tick\"", p + 1)) {
    const std::size_t t = html.find('>', p) + 1;
    ticks.emplace_back(std::stod(attribute(html, p, "y")), html.substr(t, html.find('<', t) - t));
  }
  double lowest = 0;
  for (const auto& [y, label] : ticks) lowest = std::max(lowest, y);
  std::vector<std::string> out;
  for (const auto& [y, label] : ticks)
    if (y == lowest) out.push_back(label);
  return out;
}

// Chart checks that hold for every report of a finished run, whatever monitoring recorded.
void expect_core_sections(const std::string& html) {
  for (const std::string& id : kSections) {
    const std::string s = section(html, id);
    ASSERT_FALSE(s.empty()) << "no section " << id;
    EXPECT_NE(s.find("<h2>"), std::string::npos) << id;
  }
  EXPECT_NE(section(html, "summary").find("test accuracy"), std::string::npos);
  EXPECT_GE(drawn_series(section(html, "curves")), 4) << "train/val loss and accuracy";
  EXPECT_NE(section(html, "curves").find("id=\"chart-loss\""), std::string::npos);
  // Epochs are counted: whole-number ticks only (no "0.5", "1.5" on a 3-epoch axis).
  const std::vector<std::string> epochs = x_tick_labels(html, "chart-loss");
  EXPECT_GE(epochs.size(), 2u);
  for (const std::string& t : epochs) EXPECT_EQ(t.find('.'), std::string::npos) << t;
  EXPECT_GE(drawn_series(section(html, "lr")), 1);
  // 10 ROC curves + the chance line, 10 PR curves, each with many points.
  EXPECT_GE(drawn_series(section(html, "roc-pr"), 5), 20);
  EXPECT_EQ(count(section(html, "confusion"), "<tr>"), 12) << "header, 10 classes, predicted totals";
  EXPECT_NE(section(html, "per-class").find("macro avg"), std::string::npos);
  const auto weights = png_images(section(html, "weights"));
  ASSERT_EQ(weights.size(), 1u);
  EXPECT_TRUE(is_png(weights[0]));
  EXPECT_GT(weights[0].size(), 2000u);
  const auto gallery = png_images(section(html, "gallery"));
  EXPECT_GE(gallery.size(), 5u) << "a tiny model gets some test digits wrong";
  for (const auto& png : gallery) EXPECT_TRUE(is_png(png));
  EXPECT_NE(section(html, "config").find("[optimizer]"), std::string::npos);
}

// Writes monitor files in the documented formats into run (as the monitors of issue 6 do).
void add_monitor_files(const std::string& run) {
  std::ifstream in(run + "/metrics.jsonl");
  std::string out;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    const int e = j["epoch"];
    if (e > 0) {
      j["layers"] = {{"layers.0.weight", {{"update_ratio", 2e-3 / e}, {"weight_norm", 5.0 + e}, {"grad_norm", 0.5 / e}}},
                     {"layers.0.bias", {{"update_ratio", 4e-2}, {"weight_norm", 0.3}, {"grad_norm", 0.1}}},
                     {"layers.2.weight", {{"update_ratio", 8e-4}, {"weight_norm", 2.0}, {"grad_norm", 0.2}}}};
      j["activations"] = {{"layers.1", {{"type", "tanh"}, {"mean", 0.01}, {"std", 0.6}, {"saturated", 0.2}, {"dead", nullptr}}}};
      j["warnings"] = {"layers.0.bias: update/param ratio 4.0e-02 is far above ~1e-3; lower the lr?"};
    }
    out += j.dump() + "\n";
  }
  write_file(run + "/metrics.jsonl", out);
  std::string steps;
  for (int s = 0; s <= 90; s += 10)
    steps += nlohmann::json({{"step", s}, {"epoch", s / 30 + 1}, {"loss", 2.3 - s * 0.02}, {"lr", 0.1},
                             {"examples_per_second", 1e5},
                             {"update_ratio", {{"layers.0.weight", 1e-3 + s * 1e-5}, {"layers.2.weight", 5e-5}}}})
                 .dump() + "\n";
  write_file(run + "/steps.jsonl", steps);
  std::string hist;
  for (int e : {1, 3})
    for (auto [name, kind] : {std::pair{"layers.0.weight", "weight"}, {"layers.0.weight", "grad"}, {"layers.1", "activation"}}) {
      std::vector<int> counts(30);
      for (int i = 0; i < 30; ++i) counts[i] = 100 - (i - 15) * (i - 15) / 3 + e;
      hist += nlohmann::json({{"epoch", e}, {"name", name}, {"kind", kind}, {"min", -0.1 * e}, {"max", 0.1 * e},
                              {"counts", counts}})
                  .dump() + "\n";
    }
  write_file(run + "/histograms.jsonl", hist);
}

}  // namespace

TEST(CliReport, RealRunRendersInHeadlessChromium) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty()) << "chromium not found: run scripts/setup (it installs Debian's chromium)";
  TempDir tmp;
  const std::string run = train_tiny(tmp);
  CliResult r = run_gradnet({"report", run, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = last_json_line(r.out);
  EXPECT_EQ(j["report"], run + "/report.html");
  EXPECT_EQ(j["sections"].get<std::vector<std::string>>(), kSections);
  const std::string html = read_file(run + "/report.html");
  // Self-contained: nothing that a browser would fetch.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);

  // The DOM as Chromium built it (after scripts ran), and its console on stderr.
  const std::string url = "file://" + fs::absolute(run + "/report.html").string();
  CliResult dom = run_shell(chromium_command(browser, tmp) + " --enable-logging=stderr --v=0 --dump-dom " + quote(url), tmp);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_NE(dom.out.find("<body data-ok=\"1\">"), std::string::npos) << "the end-of-body script did not run";
  EXPECT_EQ(dom.err.find("Uncaught"), std::string::npos) << dom.err;
  expect_core_sections(dom.out);
  // Monitoring sections: charts where the run recorded them, a note where it did not.
  if (fs::exists(run + "/steps.jsonl") || read_file(run + "/metrics.jsonl").find("\"layers\"") != std::string::npos)
    EXPECT_GE(drawn_series(section(dom.out, "update-ratio")), 1);
  else
    EXPECT_NE(section(dom.out, "update-ratio").find("Monitoring was off"), std::string::npos);
  if (fs::exists(run + "/histograms.jsonl"))
    EXPECT_GE(count(section(dom.out, "histograms"), "<path class=\"bars\""), 1);

  // A screenshot of the page: the right size, and far from blank.
  const std::string shot = tmp / "shot.png";
  CliResult s = run_shell(chromium_command(browser, tmp) + " --screenshot=" + quote(shot) +
                              " --window-size=1280,4000 " + quote(url), tmp);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  ASSERT_TRUE(fs::exists(shot)) << s.err;
  EXPECT_GT(fs::file_size(shot), 50000u);
  gradnet::Dataset img = gradnet::load_png_images({shot});
  ASSERT_EQ(img.shape.size(), 3u);
  EXPECT_EQ(img.shape[1], 4000);
  EXPECT_EQ(img.shape[2], 1280);
  // Share of pixels that are not near-white or the page background: text, charts, images.
  const gradnet::Index plane = img.shape[1] * img.shape[2];
  gradnet::Index inked = 0;
  for (gradnet::Index i = 0; i < plane; ++i) {
    float lo = 255;
    for (gradnet::Index ch = 0; ch < img.shape[0]; ++ch) lo = std::min(lo, img.x[ch * plane + i]);
    inked += lo < 200 ? 1 : 0;
  }
  EXPECT_GT(static_cast<double>(inked) / static_cast<double>(plane), 0.03);
}

TEST(CliReport, DrawsMonitorFilesInTheDocumentedFormats) {
  TempDir tmp;
  const std::string run = train_tiny(tmp);
  add_monitor_files(run);
  CliResult r = run_gradnet({"report", run});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_file(run + "/report.html");
  expect_core_sections(html);
  const std::string ratio = section(html, "update-ratio");
  // Per step from steps.jsonl (two parameters), epoch means for the third, then weight and
  // gradient norms (three each).
  EXPECT_NE(ratio.find("per step"), std::string::npos);
  EXPECT_NE(ratio.find("layers.0.bias (epoch means)"), std::string::npos);
  EXPECT_EQ(drawn_series(ratio), 3 + 3 + 3);
  EXPECT_EQ(count(ratio, "<line class=\"guide\""), 1) << "the 1e-3 guide";
  // Judged per weight from the end of the run: 1.9e-03 close, 5.0e-05 far below; the bias is not.
  EXPECT_NE(ratio.find("<code>layers.0.weight</code>: 1.9e-03 at the end of training, close"), std::string::npos) << ratio;
  EXPECT_NE(ratio.find("<code>layers.2.weight</code>: 5.0e-05 at the end of training, <b>far below</b>"), std::string::npos);
  EXPECT_NE(ratio.find("<code>layers.0.bias</code>: 4.0e-02 at the end of training, not judged"), std::string::npos);
  EXPECT_NE(ratio.find("20.0%"), std::string::npos) << "tanh saturation";
  EXPECT_NE(section(html, "summary").find("far above ~1e-3; lower the lr?"), std::string::npos);
  const std::string hist = section(html, "histograms");
  EXPECT_EQ(count(hist, "<path class=\"bars\""), 3);
  EXPECT_EQ(count(hist, "data-bins=\"30\""), 3);
  EXPECT_EQ(drawn_series(hist), 3) << "epoch 1 outlined over epoch 3";
  EXPECT_NE(hist.find("epochs 1, 3"), std::string::npos);
  // The per-step loss joins the epoch curves.
  EXPECT_NE(section(html, "curves").find("training loss (single steps)"), std::string::npos);
}

TEST(CliReport, RunWithoutMonitorFilesSaysMonitoringWasOff) {
  TempDir tmp;
  const std::string run = train_tiny(tmp);
  fs::remove(run + "/steps.jsonl");
  fs::remove(run + "/histograms.jsonl");
  std::ifstream in(run + "/metrics.jsonl");
  std::string plain;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    j.erase("layers");
    j.erase("activations");
    plain += j.dump() + "\n";
  }
  in.close();
  write_file(run + "/metrics.jsonl", plain);
  CliResult r = run_gradnet({"report", run});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_file(run + "/report.html");
  expect_core_sections(html);
  EXPECT_NE(section(html, "update-ratio").find("Monitoring was off"), std::string::npos);
  EXPECT_EQ(drawn_series(section(html, "update-ratio")), 0);
  EXPECT_NE(section(html, "histograms").find("No histograms.jsonl"), std::string::npos);
}

TEST(CliReport, RunWithoutModelStillGetsItsCurves) {
  TempDir tmp;
  const std::string run = train_tiny(tmp);
  fs::remove(run + "/model.safetensors");
  fs::remove(run + "/summary.json");
  // A last line cut short, as a kill mid-write leaves it.
  { std::ofstream(run + "/metrics.jsonl", std::ios::app) << "{\"epoch\": 4, \"step\""; }
  CliResult r = run_gradnet({"report", run, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = last_json_line(r.out);
  const std::string notes = j["notes"].dump();
  EXPECT_NE(notes.find("model.safetensors"), std::string::npos) << notes;
  EXPECT_NE(notes.find("metrics.jsonl line 5"), std::string::npos) << notes;
  EXPECT_NE(r.err.find("note:"), std::string::npos);
  const std::string html = read_file(run + "/report.html");
  for (const char* id : {"summary", "curves", "lr", "update-ratio", "histograms", "config"})
    EXPECT_FALSE(section(html, id).empty()) << id;
  EXPECT_GE(drawn_series(section(html, "curves")), 4);
  EXPECT_NE(section(html, "summary").find("incomplete"), std::string::npos);
  expect_left_out_without_a_model(html);
}

TEST(CliReport, DivergedRunIsReportedAsFailed) {
  // The seed-MLP divergence of issue 6: mse, lr 10, momentum 0.9 reaches NaN within the first epoch.
  const std::string mnist = find_dataset_dir("mnist");
  ASSERT_FALSE(mnist.empty()) << "MNIST not found: run scripts/setup";
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist));
  const std::string run = tmp / "run";
  CliResult t = run_gradnet({"train", tmp / "tiny.toml", "--out", run, "-q", "--set", "model.loss=mse", "--set",
                             "optimizer.lr=10", "--set", "optimizer.momentum=0.9"});
  ASSERT_EQ(t.exit_code, 1) << t.err;
  CliResult r = run_gradnet({"report", run});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_file(run + "/report.html");
  for (const char* id : {"summary", "curves", "lr", "config"}) EXPECT_FALSE(section(html, id).empty()) << id;
  expect_left_out_without_a_model(html);
  const std::string summary = section(html, "summary");
  EXPECT_NE(summary.find("class=\"bad\">failed</span>"), std::string::npos) << summary;
  EXPECT_NE(summary.find("no epoch finished"), std::string::npos) << summary;
  // Only the step-0 record exists: the curves run over steps, not epochs.
  EXPECT_NE(section(html, "curves").find(">step</text>"), std::string::npos);
}

TEST(CliReport, NotARunDirectoryIsABadInput) {
  TempDir tmp;
  CliResult r = run_gradnet({"report", tmp.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a run directory"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "report.html"));
  r = run_gradnet({"report", tmp / "missing"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(CliReport, ClassNamesOfFashionMnistAndIrisLabelTheTestSections) {
  const std::string fashion = find_dataset_dir("fashion-mnist");
  const std::string small = find_dataset_dir("small");
  ASSERT_FALSE(fashion.empty() || small.empty()) << "run scripts/setup";
  TempDir tmp;
  std::string cfg = tiny_mnist_config(fashion);
  cfg.replace(cfg.find("\"mnist\""), 7, "\"fashion-mnist\"");
  write_file(tmp / "fashion.toml", cfg);
  ASSERT_EQ(run_gradnet({"train", tmp / "fashion.toml", "--out", tmp / "fashion", "-q"}).exit_code, 0);
  CliResult r = run_gradnet({"report", tmp / "fashion"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = read_file(tmp / "fashion/report.html");
  for (const char* name : {"T-shirt/top", "Trouser", "Sneaker", "Ankle boot"}) {
    EXPECT_NE(section(html, "confusion").find(std::string("<th>") + name + "</th>"), std::string::npos) << name;
    EXPECT_NE(section(html, "per-class").find(std::string("<th>") + name + "</th>"), std::string::npos) << name;
  }
  // The most confidently wrong examples: "true Sneaker ... predicted Sandal".
  const std::string gallery = section(html, "gallery");
  int named = 0;
  for (const char* name : {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                           "Ankle boot"})
    named += count(gallery, name);
  EXPECT_GE(named, 2) << gallery.substr(0, 2000);

  ASSERT_EQ(run_gradnet({"train", source_dir() + "/configs/iris-mlp.toml", "--out", tmp / "iris", "-q", "--set",
                         "data.path=" + small + "/iris.csv"})
                .exit_code,
            0);
  r = run_gradnet({"report", tmp / "iris"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  html = read_file(tmp / "iris/report.html");
  for (const char* name : {"setosa", "versicolor", "virginica"}) {
    EXPECT_NE(section(html, "confusion").find(std::string("<th>") + name + "</th>"), std::string::npos) << name;
    EXPECT_NE(section(html, "per-class").find(std::string("<th>") + name + "</th>"), std::string::npos) << name;
  }
}
