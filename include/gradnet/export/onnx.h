// ONNX export of a trained model (gradnet export RUNDIR --onnx FILE; docs/onnx.md): the run's
// normalization as the first nodes, then one or a few standard operators per layer (opset 13),
// weights as initializers named after gradnet's parameters, dropout left out (eval mode), weight
// norm folded into the weight, an optional softmax at the end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/train/model_io.h"

namespace gradnet {

struct OnnxExportOptions {
  bool softmax = false;  // end with Softmax: the output is probabilities instead of logits
};

struct OnnxExport {
  std::string bytes;                 // the serialized onnx.ModelProto
  std::vector<std::int64_t> input;   // per-example input dims (the graph's are [batch, ...input])
  std::vector<std::int64_t> output;  // per-example output dims
  std::string input_name, output_name;
  int opset = 0;
  int nodes = 0;
};

inline constexpr int kOnnxOpset = 13;
inline constexpr const char* kOnnxInputName = "input";

// Error{usage} for --softmax on a model whose outputs are not class logits (mse loss, or an
// output that is not one vector per example).
OnnxExport export_onnx(LoadedModel& model, const OnnxExportOptions& options);

}  // namespace gradnet
