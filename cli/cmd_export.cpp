// gradnet export RUNDIR --onnx FILE [--softmax] [--checkpoint FILE] [--json]
// gradnet export RUNDIR --logits OUT.npy --input IN.npy [--softmax]
// --onnx writes the model as an ONNX file (docs/onnx.md), atomically. --logits runs the model on
// the raw examples of a .npy array (the run's normalization applied, as predict does) and writes
// its outputs as a float32 .npy: what an exported model (ONNX, PyTorch) must reproduce.
#include <cmath>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/error.h"
#include "gradnet/export/onnx.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/threads.h"
#include "options.h"

namespace gradnet::cli {

namespace {
namespace fs = std::filesystem;

struct ExportArgs {
  std::string target, checkpoint, onnx, logits, input;
  bool softmax = false, json = false;
  std::int64_t threads = -1;
};

// A float array read from a .npy file (little-endian float32/float64/uint8, C order).
struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

std::string header_value(const std::string& header, const std::string& key, const std::string& path) {
  const auto at = header.find("'" + key + "'");
  GRADNET_CHECK(at != std::string::npos, data, "{}: not a .npy file (no '{}' in its header)", path, key);
  const auto colon = header.find(':', at);
  const auto end = key == "shape" ? header.find(')', colon) + 1 : header.find(',', colon);
  return header.substr(colon + 1, end - colon - 1);
}

NpyArray read_npy(const std::string& path) {
  const std::string bytes = read_whole_file(path);
  GRADNET_CHECK(bytes.size() >= 10 && bytes.compare(0, 6, "\x93NUMPY") == 0, data,
                "{}: not a .npy file (numpy.save writes one)", path);
  const bool v1 = bytes[6] == 1;
  const std::size_t len_size = v1 ? 2 : 4, start = 8 + len_size;
  std::uint32_t header_len = 0;
  std::memcpy(&header_len, bytes.data() + 8, len_size);
  GRADNET_CHECK(bytes.size() >= start + header_len, data, "{}: truncated .npy header", path);
  const std::string header = bytes.substr(start, header_len);
  const std::string descr = header_value(header, "descr", path);
  GRADNET_CHECK(header_value(header, "fortran_order", path).find("False") != std::string::npos, data,
                "{}: a Fortran-order array; save it in C order (numpy.ascontiguousarray)", path);
  NpyArray a;
  const std::string shape = header_value(header, "shape", path);
  std::int64_t count = 1;
  for (std::size_t i = 0; i < shape.size();) {
    if (!std::isdigit(static_cast<unsigned char>(shape[i]))) { ++i; continue; }
    std::size_t used = 0;
    a.shape.push_back(std::stoll(shape.substr(i), &used));
    count *= a.shape.back();
    i += used;
  }
  GRADNET_CHECK(a.shape.size() >= 2, data, "{}: shape ({}) is not (examples, ...features)", path, fmt::join(a.shape, ", "));
  const std::size_t size = descr.find("f4") != std::string::npos ? 4 : descr.find("f8") != std::string::npos ? 8
                           : descr.find("u1") != std::string::npos ? 1 : 0;
  GRADNET_CHECK(size != 0 && descr.find('>') == std::string::npos, data,
                "{}: dtype {} is not float32, float64 or uint8", path, descr);
  GRADNET_CHECK(bytes.size() == start + header_len + static_cast<std::size_t>(count) * size, data,
                "{}: {} bytes of data, the header's shape needs {}", path, bytes.size() - start - header_len, count * size);
  const char* p = bytes.data() + start + header_len;
  a.values.resize(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    if (size == 4) std::memcpy(&a.values[i], p + 4 * i, 4);
    if (size == 1) a.values[i] = static_cast<unsigned char>(p[i]);
    if (size == 8) {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      a.values[i] = static_cast<float>(d);
    }
  }
  return a;
}

std::string npy_bytes(const std::vector<std::int64_t>& shape, const std::vector<float>& values) {
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}{}), }}",
                                   fmt::join(shape, ", "), shape.size() == 1 ? "," : "");
  header.append(63 - (10 + header.size()) % 64, ' ');  // the data starts at a multiple of 64
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  const auto len = static_cast<std::uint16_t>(header.size());
  out.append(reinterpret_cast<const char*>(&len), 2);
  out += header;
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  return out;
}

// Error{usage} when the file's directory does not exist, before any work is done.
void check_writable_dir(const std::string& path, const char* option) {
  const fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  GRADNET_CHECK(dir.empty() || fs::is_directory(dir, ec), usage, "{} {}: no directory {} to write it in", option, path,
                dir.string());
  GRADNET_CHECK(!fs::is_directory(path, ec), usage, "{} {}: a directory; give a file name", option, path);
}

// The model's outputs for the raw examples of args.input (normalized first), softmax on --softmax.
void write_logits(LoadedModel& m, const ExportArgs& args) {
  NpyArray in = read_npy(args.input);
  const Index n = in.shape[0], features = static_cast<Index>(in.values.size()) / std::max<Index>(n, 1);
  const Index raw = m.normalizer.input_features() > 0 ? m.normalizer.input_features() : numel(m.net->input_shape());
  GRADNET_CHECK(features == raw, shape, "{}: {} values per example, the model takes {} (model.input = {})", args.input,
                features, raw, shape_str(m.net->input_shape()));
  m.normalizer.apply(in.values.data(), n, features);  // a rotation packs its outputs from row 0
  const Index in_cols = numel(m.net->input_shape()), out_cols = numel(m.net->output_shape());
  std::vector<float> out(static_cast<std::size_t>(n * out_cols));
  for (Index begin = 0; begin < n; begin += m.net->max_batch()) {
    const Index rows = std::min<Index>(m.net->max_batch(), n - begin);
    ConstView<float> y = m.net->forward(ConstView<float>{in.values.data() + begin * in_cols, rows, in_cols},
                                        StepContext{Mode::eval, nullptr});
    std::copy(y.data, y.data + rows * out_cols, out.begin() + begin * out_cols);
  }
  if (args.softmax)
    for (Index i = 0; i < n; ++i) {
      float* r = out.data() + i * out_cols;
      const float top = *std::max_element(r, r + out_cols);
      double sum = 0;
      for (Index j = 0; j < out_cols; ++j) sum += (r[j] = std::exp(r[j] - top));
      for (Index j = 0; j < out_cols; ++j) r[j] = static_cast<float>(r[j] / sum);
    }
  std::vector<std::int64_t> shape{n};
  for (Index d : m.net->output_shape()) shape.push_back(d);
  write_file_atomic(args.logits, npy_bytes(shape, out));
}

// RUNDIR, or with --checkpoint FILE that file (as given, or under RUNDIR/checkpoints/).
std::string model_target(const ExportArgs& args) {
  if (args.checkpoint.empty()) return args.target;
  std::error_code ec;
  if (fs::is_regular_file(args.checkpoint, ec)) return args.checkpoint;
  const fs::path inside = fs::path(args.target) / "checkpoints" / args.checkpoint;
  GRADNET_CHECK(fs::is_regular_file(inside, ec), usage, "--checkpoint {}: no such file (nor {})", args.checkpoint,
                inside.string());
  return inside.string();
}

int run_export(const ExportArgs& args) {
  GRADNET_CHECK(!args.onnx.empty() || !args.logits.empty(), usage,
                "nothing to export: give --onnx FILE (or --logits OUT.npy --input IN.npy)");
  GRADNET_CHECK(args.logits.empty() == args.input.empty(), usage, "--logits and --input go together");
  if (!args.onnx.empty()) check_writable_dir(args.onnx, "--onnx");
  if (!args.logits.empty()) check_writable_dir(args.logits, "--logits");
  LoadedModel m = load_model(model_target(args));
  if (!m.note.empty()) fmt::print(stderr, "gradnet: note: {}\n", m.note);
  set_threads(threads_or(args.threads, m.config.train.threads));
  nlohmann::json result = {{"model", m.model_path}};
  if (!args.onnx.empty()) {
    const OnnxExport e = export_onnx(m, OnnxExportOptions{.softmax = args.softmax});
    write_file_atomic(args.onnx, e.bytes);
    result.update({{"onnx", args.onnx}, {"opset", e.opset}, {"nodes", e.nodes}, {"bytes", e.bytes.size()},
                   {"input", e.input_name}, {"input_shape", e.input}, {"output", e.output_name},
                   {"output_shape", e.output}});
    if (!args.json)
      fmt::print("{}: ONNX opset {}, {} nodes; input '{}' [batch, {}] (raw values, normalization included), output "
                 "'{}' [batch, {}]\n",
                 args.onnx, e.opset, e.nodes, e.input_name, fmt::join(e.input, ", "), e.output_name,
                 fmt::join(e.output, ", "));
  }
  if (!args.logits.empty()) {
    write_logits(m, args);
    result["logits"] = args.logits;
    if (!args.json) fmt::print("{}: the model's {} for {}\n", args.logits, args.softmax ? "probabilities" : "outputs",
                               args.input);
  }
  if (args.json) print_json_line(result);
  return 0;
}

}  // namespace

Command add_export(CLI::App& root) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* app = root.add_subcommand("export", "Write a trained model as an ONNX file (normalization included), or "
                                                "its outputs for a .npy batch");
  app->add_option("target", args->target,
                  "A run directory made by `gradnet train` (its model.safetensors), or a model or checkpoint file in it")
      ->type_name("RUNDIR")
      ->required();
  app->add_option("--onnx", args->onnx, "Write the model here as ONNX (opset 13, input 'input' [batch, ...]) (default: none)")
      ->type_name("FILE.onnx");
  app->add_flag("--softmax", args->softmax, "End with a softmax: probabilities instead of logits");
  app->add_option("--checkpoint", args->checkpoint,
                  "Export this checkpoint (a path, or a file name in RUNDIR/checkpoints/) (default: the final model)")
      ->type_name("FILE.safetensors");
  app->add_option("--logits", args->logits, "Write the model's outputs for --input's examples here, float32 (default: none)")
      ->type_name("OUT.npy");
  app->add_option("--input", args->input, "Raw examples (N, ...input) as a .npy array: float32, float64 or uint8 (default: none)")
      ->type_name("IN.npy");
  add_threads_option(app, args->threads);
  app->add_flag("--json", args->json, "Print the result as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet export runs/try1 --onnx model.onnx",
                     "gradnet export runs/try1 --onnx model.onnx --softmax --checkpoint best.safetensors",
                     "gradnet export runs/try1 --logits logits.npy --input batch.npy"});
  return {app, [args] { return run_export(*args); }};
}

}  // namespace gradnet::cli
