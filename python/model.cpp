// gradnet.load(target) -> gradnet.Model: a trained run's inference net with its normalization,
// as `gradnet predict` and `gradnet eval` load it (train/model_io.h).
//
// predict takes raw examples, in the units of the data files (pixels 0..255 for images), and
// applies the run's normalization as predict does. Copies: none of the input when it is float32,
// C-contiguous and the run has no normalization (the net reads the array); otherwise one pass
// (net.max_batch() rows) at a time is converted into a scratch buffer and normalized there, since
// the caller's array must not change. uint8 arrays are read as bytes and converted a pass at a
// time, as the CLI converts IDX images; other dtypes are first converted to float32 by NumPy (a
// copy). The result is written straight into the returned array; only logits are copied out of
// the net's output buffer, which the next pass reuses.
#include <algorithm>
#include <mutex>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/model_io.h"

namespace gradnet::python {

namespace {

enum class Output { probabilities, logits, classes };

Output parse_output(const std::string& s) {
  if (s == "probabilities") return Output::probabilities;
  if (s == "logits") return Output::logits;
  if (s == "classes") return Output::classes;
  fail(ErrorKind::usage, "output = '{}': give 'probabilities', 'logits' or 'classes'", clip(s));
}

std::string shape_of(const py::array& a) {
  std::vector<std::string> dims;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) dims.push_back(std::to_string(a.shape(i)));
  return fmt::format("({}{})", fmt::join(dims, ", "), a.ndim() == 1 ? "," : "");
}

}  // namespace

class Model {
 public:
  explicit Model(const std::string& target) : m_(load_model(target)) {
    raw_features_ = m_.normalizer.input_features() > 0 ? m_.normalizer.input_features() : numel(m_.net->input_shape());
    raw_shape_ = !m_.info.shape.empty() && numel(m_.info.shape) == raw_features_ ? m_.info.shape : Shape{raw_features_};
  }

  py::array predict(const py::array& x, const std::string& output_name) {
    const Output output = parse_output(output_name);
    GRADNET_CHECK(x.ndim() >= 2, shape,
                  "predict takes a batch, an array of shape (N, ...) with {} values per example (e.g. (N, {})); got "
                  "shape {} (one example: x[None])", raw_features_, fmt::join(raw_shape_, ", "), shape_of(x));
    const Index n = x.shape(0);
    const Index features = x.size() / std::max<Index>(n, 1);
    GRADNET_CHECK(n == 0 || features == raw_features_, shape,
                  "predict: an array of shape {} has {} values per example; the model takes {} (shape ({}), "
                  "model.input = {})", shape_of(x), features, raw_features_, fmt::join(raw_shape_, ", "),
                  shape_str(m_.config.model.input));
    const Index outputs = numel(m_.net->output_shape());
    py::array result = output == Output::classes ? py::array(py::array_t<std::int64_t>(n))
                                                 : py::array(py::array_t<float>({n, outputs}));
    if (x.dtype().is(py::dtype::of<std::uint8_t>())) {
      const auto bytes = py::array_t<std::uint8_t, py::array::c_style>::ensure(x);  // no copy when contiguous
      run(bytes.data(), nullptr, n, output, result);
    } else {
      const auto floats = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(x);
      GRADNET_CHECK(floats, data, "predict: an array of dtype {} cannot be read as float32",
                    py::str(x.dtype()).cast<std::string>());
      run(nullptr, floats.data(), n, output, result);
    }
    return result;
  }

  py::dict evaluate(const std::string& split) {
    GRADNET_CHECK(split == "test" || split == "val", usage, "split = '{}': give 'test' or 'val'", clip(split));
    EvalResult r;
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      set_threads(m_.config.train.threads);
      // As `gradnet eval`: the same data, split and seed as training, the normalization fitted then.
      Dataset data = split == "test" ? load_test_split(m_.config.data, m_.run_dir, m_.config.train.seed)
                                     : load_splits(m_.config.data, m_.run_dir, m_.config.train.seed).val;
      GRADNET_CHECK(data.size() > 0, usage, "{}: the {} split is empty (train.validation = 0?)", m_.run_dir, split);
      m_.normalizer.apply(data);
      GRADNET_CHECK(data.features() == numel(m_.net->input_shape()), shape,
                    "{} gives {} features per example, the model takes {}", data.source, data.features(),
                    numel(m_.net->input_shape()));
      r = gradnet::evaluate(*m_.net, data, eval_pass_rows(m_.config.train, *m_.net));
    }
    const auto k = static_cast<py::ssize_t>(r.confusion.size());
    py::array_t<std::int64_t> confusion({k, k});
    auto c = confusion.mutable_unchecked<2>();
    for (py::ssize_t i = 0; i < k; ++i)
      for (py::ssize_t j = 0; j < k; ++j) c(i, j) = r.confusion[i][j];
    py::dict d;
    d["split"] = split;
    d["examples"] = r.examples;
    d["accuracy"] = r.accuracy;
    d["loss"] = r.loss;
    d["confusion"] = confusion;
    return d;
  }

  const LoadedModel& loaded() const { return m_; }
  const Shape& raw_shape() const { return raw_shape_; }

 private:
  // Passes of max_batch rows from row 0, as `gradnet predict` makes them (a row's output may
  // round differently in a pass of another size), with the GIL released.
  void run(const std::uint8_t* bytes, const float* floats, Index n, Output output, py::array& result) {
    const Index features = raw_features_, inputs = numel(m_.net->input_shape());
    const Index outputs = numel(m_.net->output_shape()), batch = m_.net->max_batch();
    const bool direct = floats && m_.normalizer.input_features() == 0 && features == inputs;
    float* out_floats = output == Output::classes ? nullptr : static_cast<float*>(result.mutable_data());
    auto* out_classes = output == Output::classes ? static_cast<std::int64_t*>(result.mutable_data()) : nullptr;
    py::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    set_threads(m_.config.train.threads);
    std::vector<float> scratch, probabilities;
    std::vector<std::int32_t> classes;
    for (Index begin = 0; begin < n; begin += batch) {
      const Index rows = std::min(batch, n - begin);
      const float* x = direct ? floats + begin * features : nullptr;
      if (!direct) {
        scratch.resize(static_cast<std::size_t>(rows * features));
        if (bytes) std::transform(bytes + begin * features, bytes + (begin + rows) * features, scratch.begin(),
                                  [](std::uint8_t b) { return static_cast<float>(b); });
        else std::copy(floats + begin * features, floats + (begin + rows) * features, scratch.begin());
        m_.normalizer.apply(scratch.data(), rows, features);  // a rotation packs its k outputs from row 0
        x = scratch.data();
      }
      const ConstView<float> logits = m_.net->forward(ConstView<float>(x, rows, inputs), StepContext{Mode::eval, nullptr});
      if (output == Output::logits) {
        std::copy(logits.data, logits.data + rows * outputs, out_floats + begin * outputs);
      } else if (output == Output::probabilities) {
        m_.net->loss_fn().predict(logits, View<float>{out_floats + begin * outputs, rows, outputs});
      } else {
        probabilities.resize(static_cast<std::size_t>(rows * outputs));
        m_.net->loss_fn().predict(logits, View<float>{probabilities.data(), rows, outputs});
        classes.resize(static_cast<std::size_t>(rows));
        argmax_rows(ConstView<float>(probabilities.data(), rows, outputs), classes.data());
        std::copy(classes.begin(), classes.end(), out_classes + begin);
      }
    }
  }

  LoadedModel m_;
  Index raw_features_ = 0;
  Shape raw_shape_;
  std::mutex mutex_;  // one pass at a time: the net's buffers are shared
};

void bind_model(py::module_& m) {
  py::class_<Model>(m, "Model", "A trained model: gradnet.load(rundir).")
      .def("predict", &Model::predict, py::arg("x"), py::arg("output") = "probabilities",
           R"(Predict a batch. x: an array of shape (N, ...) holding N raw examples in the units of the data
files (pixels 0..255 for images; the run's normalization is applied here, as `gradnet predict`
does), float32 (any other dtype is converted) or uint8. output: 'probabilities' (N, classes)
float32, 'logits' (N, classes) float32, or 'classes' (N,) int64.)")
      .def("evaluate", &Model::evaluate, py::arg("split") = "test",
           "Evaluate on the run's test (or 'val') split, as `gradnet eval` does: a dict of split, examples, "
           "accuracy, loss and confusion (a classes x classes int64 array, [true, predicted]).")
      .def_property_readonly("run_dir", [](const Model& s) { return s.loaded().run_dir; })
      .def_property_readonly("model_path", [](const Model& s) { return s.loaded().model_path; },
                             "The weights file loaded (model.safetensors or a checkpoint)")
      .def_property_readonly("note", [](const Model& s) { return s.loaded().note; },
                             "Why a checkpoint was loaded instead of model.safetensors ('' when it was not)")
      .def_property_readonly("classes", [](const Model& s) { return s.loaded().classes; })
      .def_property_readonly("class_names", [](const Model& s) {
        std::vector<std::string> names;
        for (Index c = 0; c < s.loaded().classes; ++c) names.push_back(s.loaded().info.class_name(c));
        return names;
      }, "One name per class ('0', '1', ... when the data has none)")
      .def_property_readonly("input_shape", [](const Model& s) {
        return py::tuple(py::cast(std::vector<Index>(s.raw_shape().begin(), s.raw_shape().end())));
      }, "The shape of one raw example, e.g. (1, 28, 28)")
      .def("__repr__", [](const Model& s) { return fmt::format("gradnet.Model('{}')", s.loaded().model_path); });
  m.def("load", [](const py::object& target) {
    const std::string path = py::module_::import("os").attr("fspath")(target).cast<std::string>();
    py::gil_scoped_release release;
    return std::make_unique<Model>(path);
  }, py::arg("target"),
        "Load a trained model: a run directory (its model.safetensors, or its newest checkpoint when it has "
        "none), its model.safetensors, ema/swa.safetensors, or a file in its checkpoints/ (as gradnet eval and "
        "predict take them).");
}

}  // namespace gradnet::python
