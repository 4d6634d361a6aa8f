// group_norm and instance_norm: NormLayer (layer_norm.cpp) with channel groups. The input is
// [C, ...spatial] per example (e.g. [C, H, W], [C, L], or [C] for group_norm), C first as in NCHW;
// S = numel of the spatial dims (1 for [C]).
//   group_norm:    G = groups, M = (C/G)·S values per group, weight and bias (C)
//   instance_norm: G = C,      M = S,                         weight and bias (C) when affine
#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/layers/norm.h"

namespace gradnet {

namespace {

// C from the input shape, checked against the `channels` key (0: any).
Index channels_of(const Shape& in, Index expected, Index index, const char* type) {
  GRADNET_CHECK(!in.empty() && numel(in) >= 1, shape, "layers.{} ({}): input shape {} has no channels", index, type,
                shape_str(in));
  GRADNET_CHECK(expected == 0 || in[0] == expected, shape,
                "layers.{} ({}): input shape {} has {} channels, expected channels = {}", index, type, shape_str(in),
                in[0], expected);
  return in[0];
}

}  // namespace

// ---- group_norm
template <typename T>
GroupNormLayer<T>::GroupNormLayer(const LayerSpec& spec)
    : NormLayer<T>(spec, true),
      requested_groups_(spec.get_int("groups")),
      channels_(spec.has("channels") ? spec.get_int("channels") : 0) {
  GRADNET_CHECK(requested_groups_ >= 1, config, "layers.{} (group_norm): groups = {}: expected an integer >= 1",
                this->index_, requested_groups_);
  GRADNET_CHECK(channels_ >= 0, config, "layers.{} (group_norm): channels = {}: expected an integer >= 0",
                this->index_, channels_);
}

template <typename T>
Shape GroupNormLayer<T>::setup(const Shape& in, Index max_batch) {
  const Index c = channels_of(in, channels_, this->index_, "group_norm");
  const Index g = requested_groups_;
  GRADNET_CHECK(c % g == 0, shape,
                "layers.{} (group_norm): input shape {} has {} channels, which groups = {} does not divide",
                this->index_, shape_str(in), c, g);
  const Index s = numel(in) / c;
  this->plan(max_batch, g, (c / g) * s, s, {c});
  return in;
}

template <typename T>
Attributes GroupNormLayer<T>::describe() const {
  Attributes a = NormLayer<T>::describe();
  a.insert(a.begin(), {"groups", std::to_string(requested_groups_)});
  return a;
}

// ---- instance_norm: one group per channel; needs spatial dims (a single value normalises to 0).
template <typename T>
InstanceNormLayer<T>::InstanceNormLayer(const LayerSpec& spec)
    : NormLayer<T>(spec, false), channels_(spec.has("channels") ? spec.get_int("channels") : 0) {
  GRADNET_CHECK(channels_ >= 0, config, "layers.{} (instance_norm): channels = {}: expected an integer >= 0",
                this->index_, channels_);
}

template <typename T>
Shape InstanceNormLayer<T>::setup(const Shape& in, Index max_batch) {
  const Index c = channels_of(in, channels_, this->index_, "instance_norm");
  const Index s = numel(in) / c;
  GRADNET_CHECK(in.size() >= 2 && s >= 2, shape,
                "layers.{} (instance_norm): input shape {} has {} spatial value(s) per channel; expected [C, H, W] or "
                "[C, L] with more than 1",
                this->index_, shape_str(in), s);
  this->plan(max_batch, c, s, s, {c});
  return in;
}

template class GroupNormLayer<float>;
template class GroupNormLayer<double>;
template class InstanceNormLayer<float>;
template class InstanceNormLayer<double>;

}  // namespace gradnet
