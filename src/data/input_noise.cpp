// Input corruption for denoising autoencoders (data/input_noise.h).
#include "gradnet/data/input_noise.h"

namespace gradnet {

void apply_input_noise(InputNoise kind, double level, View<float> x, Rng& rng) {
  const Index n = x.size();
  switch (kind) {
    case InputNoise::none: return;
    case InputNoise::gaussian:
      for (Index i = 0; i < n; ++i) x.data[i] += static_cast<float>(rng.normal(0.0, level));
      return;
    case InputNoise::mask:
      for (Index i = 0; i < n; ++i)
        if (rng.uniform() < level) x.data[i] = 0.0f;
      return;
  }
}

}  // namespace gradnet
