// Registry rows for the normalisation layers, softmax / log_softmax and the smooth activations
// (elu, gelu, silu). Weight norm is a key of linear (registry.cpp), not a layer of its own.
#include "gradnet/layers/activation.h"
#include "gradnet/layers/norm.h"
#include "gradnet/layers/softmax.h"
#include "registry_util.h"

namespace gradnet {

void add_extra_layers(std::vector<LayerInfo>& v) {
  v.push_back(simple<EluLayer>("elu", "y = x for x > 0, alpha·(e^x − 1) otherwise, elementwise", elu_keys(), true));
  v.push_back(simple<GeluLayer>("gelu", "y = x·Φ(x) (Φ the normal CDF, via erf; approximate = \"tanh\" for the tanh "
                                        "form), elementwise",
                                gelu_keys(), true));
  v.push_back(stateless<SiluLayer>("silu", "y = x·σ(x) (swish), elementwise"));
  v.push_back(simple<SoftmaxLayer>("softmax",
                                   "softmax over the channels at each position (PyTorch dim=1; over all features of a "
                                   "1-D input); dim = \"all\": over every feature",
                                   softmax_keys(), false));
  v.push_back(simple<LogSoftmaxLayer>("log_softmax", "log of softmax, computed stably as x − max − log Σ e^(x − max)",
                                      softmax_keys(), false));
  v.push_back(simple<LayerNormLayer>("layer_norm",
                                     "normalises each example over all its features, then weight·x̂ + bias shaped "
                                     "like the input (nn.LayerNorm)",
                                     with_param_keys(layer_norm_keys()), false));
  v.push_back(simple<GroupNormLayer>("group_norm",
                                     "normalises each example over groups of channels × spatial, then per-channel "
                                     "weight·x̂ + bias (nn.GroupNorm); input [C, ...]",
                                     with_param_keys(group_norm_keys()), false));
  v.push_back(simple<InstanceNormLayer>("instance_norm",
                                        "normalises each channel of each example over its spatial values "
                                        "(nn.InstanceNorm2d, no running stats); input [C, H, W] or [C, L]",
                                        with_param_keys(instance_norm_keys()), false));
}

}  // namespace gradnet
