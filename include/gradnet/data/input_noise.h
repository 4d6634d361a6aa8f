// Denoising autoencoders' input corruption (train.input_noise, pretrain.input_noise): applied to a
// copy of the training batch that the net reads, after augmentation; the target stays the clean
// batch. Values are in the normalized space the net sees.
//   gaussian: x += N(0, level²) on every value
//   mask:     x = 0 with probability level, independently per value (masking noise, Vincent et al. 2010)
// The draws come from the run's own "input_noise" stream, advanced once per step like dropout's, so
// a run is deterministic from its seed and a resumed run draws what it would have drawn.
#pragma once

#include <array>
#include <string_view>

#include "gradnet/enum_names.h"
#include "gradnet/rng.h"
#include "gradnet/tensor.h"

namespace gradnet {

enum class InputNoise { none, gaussian, mask };

template <>
struct EnumNames<InputNoise> {
  static constexpr std::array<std::string_view, 3> words = {"none", "gaussian", "mask"};
};

// Corrupts x in place (see above); none leaves it as it is.
void apply_input_noise(InputNoise kind, double level, View<float> x, Rng& rng);

}  // namespace gradnet
