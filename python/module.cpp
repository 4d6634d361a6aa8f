// The gradnet Python module: gradnet.train, gradnet.load (model.cpp), gradnet.Error and
// gradnet.__version__. Every call into the library runs with the GIL released; a gradnet::Error
// becomes gradnet.Error with the message the CLI prints after "gradnet: error: ".
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/plural.h"
#include "gradnet/train/trainer.h"
#include "gradnet/version.h"

namespace gradnet::python {

namespace {

const char* kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::config: return "config";
    case ErrorKind::data: return "data";
    case ErrorKind::shape: return "shape";
    case ErrorKind::checkpoint: return "checkpoint";
    case ErrorKind::runtime: return "runtime";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

py::object nullable(double v) { return std::isnan(v) ? py::object(py::none()) : py::object(py::float_(v)); }

// The summary as `gradnet train --json` prints it (the same keys).
py::dict summary_dict(const Summary& s) {
  py::dict d;
  d["test_accuracy"] = s.test_accuracy;
  d["test_loss"] = s.test_loss;
  d["val_accuracy"] = nullable(s.val_accuracy);
  d["val_loss"] = nullable(s.val_loss);
  d["train_loss"] = s.train_loss;
  d["train_accuracy"] = s.train_accuracy;
  d["initial_loss"] = s.initial_loss;
  d["epochs"] = s.epochs;
  d["steps"] = s.steps;
  d["epoch_seconds"] = s.epoch_seconds;
  d["parameters"] = s.parameters;
  d["threads"] = s.threads;
  d["total_seconds"] = s.total_seconds;
  d["stopped_early"] = s.stopped_early.empty() ? py::object(py::none()) : py::object(py::str(s.stopped_early));
  d["run_dir"] = s.run_dir;
  py::list averaged;
  for (const AveragedResult& a : s.averaged) {
    py::dict r;
    r["kind"] = a.kind;
    r["path"] = a.path;
    r["test_accuracy"] = a.test_accuracy;
    r["test_loss"] = a.test_loss;
    r["val_accuracy"] = nullable(a.val_accuracy);
    averaged.append(r);
  }
  d["averaged"] = averaged;
  return d;
}

// Progress for a run started from Python: warnings always and, unless quiet, a line per epoch on
// stderr. It also watches for Ctrl-C: Python's SIGINT handler only sets a flag that the main thread
// acts on when it holds the GIL, which train() has released; so every 100 ms or so a step takes
// the GIL and runs PyErr_CheckSignals. A KeyboardInterrupt (or whatever a handler raised) is kept
// and the trainer's signal flag set: it checkpoints and stops, and train() raises the kept error.
class PythonProgress final : public TrainCallbacks {
 public:
  PythonProgress(bool quiet, std::atomic<int>* flag) : quiet_(quiet), flag_(flag) {}
  ~PythonProgress() override {  // destroyed with the GIL held (train() below)
    Py_XDECREF(type_);
    Py_XDECREF(value_);
    Py_XDECREF(traceback_);
  }
  void on_warning(const std::string& w) override { fmt::print(stderr, "gradnet: warning: {}\n", w); }
  void on_start(const TrainStart& s) override {
    if (!quiet_)
      fmt::print(stderr, "gradnet: training {} ({} training, {} validation, {} test examples; {} parameters)\n",
                 s.run_dir, s.train_examples, s.val_examples, s.test_examples, s.parameters);
  }
  void on_step(const StepProgress&) override { check_signals(); }
  void on_epoch(const EpochRecord& r) override {
    if (!quiet_)
      fmt::print(stderr, "gradnet: epoch {}: train loss {:.4f} accuracy {:.4f}, validation {}, {:.2f}s\n", r.epoch,
                 r.train_loss, r.train_acc,
                 std::isnan(r.val_acc) ? std::string("none") : fmt::format("accuracy {:.4f}", r.val_acc), r.seconds);
    check_signals();
  }
  bool interrupted() const { return type_ != nullptr; }
  // Raises the kept error (the GIL held).
  [[noreturn]] void raise() {
    PyErr_Restore(type_, value_, traceback_);
    type_ = value_ = traceback_ = nullptr;
    throw py::error_already_set();
  }

 private:
  void check_signals() {
    const auto now = std::chrono::steady_clock::now();
    if (interrupted() || now - last_check_ < std::chrono::milliseconds(100)) return;
    last_check_ = now;
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() == 0) return;
    PyErr_Fetch(&type_, &value_, &traceback_);
    flag_->store(SIGINT);
  }

  bool quiet_;
  std::atomic<int>* flag_;
  std::chrono::steady_clock::time_point last_check_ = std::chrono::steady_clock::now();
  PyObject *type_ = nullptr, *value_ = nullptr, *traceback_ = nullptr;
};

struct TrainResult {
  std::string run_dir;
  py::dict summary;
};

TrainResult train_from_python(const py::object& config, std::vector<std::string> overrides,
                              const py::object& out, std::optional<std::int64_t> epochs, bool quiet) {
  if (epochs) {
    GRADNET_CHECK(*epochs > 0, usage, "epochs must be a positive integer, got {}", *epochs);
    overrides.push_back(fmt::format("train.epochs={}", *epochs));
  }
  Config c;
  if (py::isinstance<py::dict>(config)) {
    c = parse_config(dict_to_toml(config.cast<py::dict>()), "<config dict>", overrides);
  } else {
    const std::string path = py::module_::import("os").attr("fspath")(config).cast<std::string>();
    c = load_config(path, overrides);
  }
  TrainOptions options;
  if (!out.is_none()) options.out_dir = py::module_::import("os").attr("fspath")(out).cast<std::string>();
  std::atomic<int> flag{0};
  options.signal_flag = &flag;
  PythonProgress progress(quiet, &flag);
  Summary s;
  std::optional<Interrupted> interrupted;
  {
    py::gil_scoped_release release;
    try {
      s = train(c, options, progress);
    } catch (const Interrupted& i) {
      interrupted = i;
    }
  }
  if (interrupted)
    fmt::print(stderr, "gradnet: interrupted; checkpoint {}; continue with: gradnet train --resume {}\n",
               interrupted->checkpoint,
               std::filesystem::path(interrupted->checkpoint).parent_path().parent_path().string());
  if (progress.interrupted()) progress.raise();  // the KeyboardInterrupt, even when the run had just ended
  return {s.run_dir, summary_dict(s)};
}

}  // namespace

void bind_train(py::module_& m) {
  py::class_<TrainResult>(m, "TrainResult", "What gradnet.train returns: the run directory and the summary.")
      .def_readonly("run_dir", &TrainResult::run_dir, "The run directory (str)")
      .def_readonly("summary", &TrainResult::summary,
                    "The summary as a dict, the keys of `gradnet train --json` (test_accuracy, val_accuracy, "
                    "train_loss, epochs, epoch_seconds, run_dir, ...)")
      .def("__repr__", [](const TrainResult& r) {
        return fmt::format("TrainResult(run_dir='{}', test_accuracy={:.4f})", r.run_dir,
                           r.summary["test_accuracy"].cast<double>());
      });
  m.def("train", &train_from_python, py::arg("config"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("out") = py::none(), py::arg("epochs") = py::none(), py::arg("quiet") = true,
        R"(Train the model a config describes, as `gradnet train` does; returns a TrainResult.

config: a path to a TOML file (str or os.PathLike), or a dict of the same sections and keys. A
  dict's relative data paths resolve against the current working directory; a file's against
  the file's own folder.
overrides: ["optimizer.lr=0.05", ...], as `--set`.
out: the run directory (must be new or empty); None: runs/<name>-<UTC time>/ under the working directory.
epochs: shorthand for the override train.epochs=N.
quiet: False prints a line per epoch on stderr (warnings are printed either way).

The GIL is released while training. Ctrl-C checkpoints, stops, and raises KeyboardInterrupt (the
run directory can be continued with `gradnet train --resume RUNDIR`). Bad input raises
gradnet.Error.)");
}

}  // namespace gradnet::python

PYBIND11_MODULE(_gradnet, m) {
  namespace py = pybind11;
  m.doc() = "gradnet: train neural networks on the CPU from TOML configs, load run directories, predict with numpy.";
  m.attr("__version__") = gradnet::kVersion;
  // gradnet.Error: .kind ("config", "data", ...) and .exit_code (what the CLI would exit with).
  static py::exception<gradnet::Error> error(m, "Error");
  error.doc() = "A gradnet error: str(e) is the message the CLI prints; e.kind is one of usage, config, data, "
                "shape, checkpoint (bad input: exit_code 2), runtime, internal (exit_code 1).";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const gradnet::Error& e) {
      py::object instance = py::reinterpret_borrow<py::object>(error)(e.what());
      instance.attr("kind") = gradnet::python::kind_name(e.kind());
      instance.attr("exit_code") = e.exit_code();
      PyErr_SetObject(error.ptr(), instance.ptr());
    }
  });
  gradnet::python::bind_train(m);
  gradnet::python::bind_model(m);
}
