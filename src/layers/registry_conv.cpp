// The conv-net family: convolution, pooling, flatten, dropout, batch norm.
#include "gradnet/layers/batch_norm.h"
#include "gradnet/layers/conv2d.h"
#include "gradnet/layers/dropout.h"
#include "gradnet/layers/pool.h"
#include "registry_util.h"

namespace gradnet {

void add_conv_layers(std::vector<LayerInfo>& v) {
  v.push_back(simple<Conv2dLayer>("conv2d",
                                  "2-D convolution over [C, H, W] (PyTorch's Conv2d): weight (out, C/groups, k, k), "
                                  "bias (out); output [out, Ho, Wo]",
                                  with_param_keys(conv2d_keys()), false));
  v.push_back(simple<MaxPool2dLayer>("max_pool2d", "max over each k×k window of every channel: [C, H, W] -> [C, Ho, Wo]",
                                     max_pool_keys(), false));
  v.push_back(simple<AvgPool2dLayer>("avg_pool2d", "mean over each k×k window of every channel: [C, H, W] -> [C, Ho, Wo]",
                                     avg_pool_keys(), false));
  v.push_back(simple<GlobalAvgPoolLayer>("global_avg_pool", "mean of each channel: [C, H, W] -> [C]", {}, false));
  v.push_back({"flatten", "[C, H, W] -> [C·H·W] (linear flattens by itself; this makes it explicit)", {}, false,
               [](const LayerSpec&) -> std::unique_ptr<Layer<float>> { return std::make_unique<FlattenLayer<float>>(); },
               [](const LayerSpec&) -> std::unique_ptr<Layer<double>> { return std::make_unique<FlattenLayer<double>>(); }});
  v.push_back(simple<DropoutLayer>("dropout", "inverted dropout: zero each element with probability rate in training, "
                                              "scale the rest by 1/(1-rate); identity in eval",
                                   dropout_keys(), false));
  v.push_back(simple<BatchNormLayer>("batch_norm",
                                     "batch normalization over [C] (BatchNorm1d) or [C, H, W] (BatchNorm2d); running "
                                     "statistics for eval",
                                     with_param_keys(batch_norm_keys()), false));
}

}  // namespace gradnet
