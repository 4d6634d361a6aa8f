// Augmenter: the transforms of include/gradnet/data/augment.h and the [augment] cross-key rules.
// x: one image (C, H, W), planar; F = C·H·W values per row.
#include "gradnet/data/augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include <omp.h>

#include <fmt/format.h>

#include "gradnet/error.h"

namespace gradnet {

namespace {

constexpr float kPixelMax = 255.0f;  // colour jitter clamps to the 8-bit pixel range, 0..255

// The dotted name and value of the first transform c turns on, for messages.
bool scale_on(const AugmentConfig& c) { return c.scale.size() == 2 && (c.scale[0] != 1 || c.scale[1] != 1); }

// A jitter factor from [max(0, 1 - v), 1 + v] (torchvision's ColorJitter); 1 when v = 0.
double jitter(double v, Rng& rng) { return v > 0 ? rng.uniform(std::max(0.0, 1.0 - v), 1.0 + v) : 1.0; }

float clamp_pixel(float v) { return std::min(std::max(v, 0.0f), kPixelMax); }

// ---- Gaussian draws: Marsaglia & Tsang's ziggurat, 128 layers, as in Doornik's ZIGNOR (2005).
// About one 64-bit draw and a compare per value (Box-Muller needs a log, a sqrt and a sin/cos),
// so noise on every pixel of a CIFAR epoch stays cheap.
struct Ziggurat {
  static constexpr int kLayers = 128;
  static constexpr double kR = 3.442619855899;           // where the tail starts
  static constexpr double kV = 9.91256303526217e-3;      // the area of each layer
  double x[kLayers + 1];  // x[i]: the width of layer i (x[0]: the base layer's, tail included)
  double ratio[kLayers];  // x[i + 1] / x[i]: below it, a draw is inside the curve for sure
  Ziggurat() {
    double f = std::exp(-0.5 * kR * kR);
    x[0] = kV / f;
    x[1] = kR;
    x[kLayers] = 0;
    for (int i = 2; i < kLayers; ++i) {
      x[i] = std::sqrt(-2.0 * std::log(kV / x[i - 1] + f));
      f = std::exp(-0.5 * x[i] * x[i]);
    }
    for (int i = 0; i < kLayers; ++i) ratio[i] = x[i + 1] / x[i];
  }
};

const Ziggurat& ziggurat() {
  static const Ziggurat z;
  return z;
}

// xoshiro256** (Rng's generator) inlined here, seeded from one draw of the caller's Rng: the
// noise loop makes a draw per value, and a call into rng.cpp per draw would cost more than the rest.
struct InlineRng {
  std::uint64_t s[4];
  explicit InlineRng(std::uint64_t seed) {
    for (auto& w : s) {  // splitmix64
      std::uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      w = z ^ (z >> 31);
    }
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }  // [0, 1)
};

double open_uniform(InlineRng& rng) { return (static_cast<double>(rng.next_u64() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)

double ziggurat_normal(InlineRng& rng, const Ziggurat& z) {
  for (;;) {
    const std::uint64_t bits = rng.next_u64();
    const double u = 2.0 * (static_cast<double>(bits >> 11) * 0x1.0p-53) - 1.0;  // [-1, 1): the top 53 bits
    const int i = static_cast<int>(bits & 0x7F);                                    // the layer: the low 7 bits
    if (std::fabs(u) < z.ratio[i]) return u * z.x[i];
    if (i == 0) {  // the tail beyond kR (Marsaglia's method)
      double t, y;
      do {
        t = std::log(open_uniform(rng)) / Ziggurat::kR;
        y = std::log(open_uniform(rng));
      } while (-2.0 * y < t * t);
      return u < 0 ? t - Ziggurat::kR : Ziggurat::kR - t;
    }
    const double v = u * z.x[i];  // a wedge: accept under the curve
    const double f0 = std::exp(-0.5 * (z.x[i] * z.x[i] - v * v));
    const double f1 = std::exp(-0.5 * (z.x[i + 1] * z.x[i + 1] - v * v));
    if (f1 + rng.uniform() * (f0 - f1) < 1.0) return v;
  }
}

}  // namespace

bool augment_enabled(const AugmentConfig& c) {
  return c.hflip > 0 || c.crop_padding > 0 || c.translate > 0 || c.rotation > 0 || scale_on(c) || c.brightness > 0 ||
         c.contrast > 0 || c.saturation > 0 || c.noise_std > 0 || c.cutout > 0;
}

void fill_normal(float* out, Index n, Rng& rng) {
  const Ziggurat& z = ziggurat();
  InlineRng fast(rng.next_u64());
  for (Index i = 0; i < n; ++i) out[i] = static_cast<float>(ziggurat_normal(fast, z));
}

Augmenter::Augmenter(const AugmentConfig& c, const Shape& shape, const Normalizer& normalizer) : c_(c) {
  enabled_ = augment_enabled(c);
  channels_ = height_ = width_ = plane_ = 0;
  if (!enabled_) return;
  GRADNET_ASSERT(shape.size() == 3 && (c.saturation == 0 || shape[0] == 3));  // the config reader's rule
  channels_ = shape[0];
  height_ = shape[1];
  width_ = shape[2];
  plane_ = height_ * width_;
  const Index features = channels_ * plane_;
  colour_ = c.brightness > 0 || c.contrast > 0 || c.saturation > 0;
  geometry_ = c.hflip > 0 || c.crop_padding > 0 || c.translate > 0 || c.rotation > 0 || scale_on(c);
  // Only colour jitter maps values back to pixels; the rest works on whatever the net sees.
  mean_.assign(features, 0.0f);
  std_.assign(features, 1.0f);
  if (colour_ && !normalizer.mean.empty()) {
    const bool fits =
        static_cast<Index>(normalizer.mean.size()) == features && normalizer.std.size() == normalizer.mean.size();
    GRADNET_CHECK(fits, shape, "augment: the normalization ({}) has {} per-feature statistics, model.input = {} has {}",
                  normalizer.method, normalizer.mean.size(), shape_str(shape), features);
    mean_ = normalizer.mean;
    std_ = normalizer.std;
  }
  threads_ = std::max(1, omp_get_max_threads());  // train.threads is set before the trainer builds this
  scratch_.assign(static_cast<std::size_t>(threads_ * features), 0.0f);
}

AugmentDraw Augmenter::draw(Rng& rng) const {
  AugmentDraw d;
  if (colour_) {
    for (int i = 2; i > 0; --i) std::swap(d.colour_order[i], d.colour_order[rng.below(i + 1)]);  // ColorJitter's order
    d.brightness = jitter(c_.brightness, rng);
    d.contrast = jitter(c_.contrast, rng);
    d.saturation = channels_ == 3 ? jitter(c_.saturation, rng) : 1.0;
  }
  if (c_.hflip > 0) d.flip = rng.uniform() < c_.hflip;
  if (c_.crop_padding > 0) {  // crop offset o in [0, 2P] of the padded image: the content moves by P - o
    const Index p = c_.crop_padding;
    d.shift_x = p - static_cast<Index>(rng.below(2 * p + 1));
    d.shift_y = p - static_cast<Index>(rng.below(2 * p + 1));
  }
  if (c_.translate > 0) {  // torchvision's RandomAffine: a uniform shift, rounded to whole pixels
    const double mx = c_.translate * static_cast<double>(width_), my = c_.translate * static_cast<double>(height_);
    d.shift_x += static_cast<Index>(std::lround(rng.uniform(-mx, mx)));
    d.shift_y += static_cast<Index>(std::lround(rng.uniform(-my, my)));
  }
  if (c_.rotation > 0) d.angle = rng.uniform(-c_.rotation, c_.rotation);
  if (scale_on(c_)) d.scale = c_.scale[0] == c_.scale[1] ? c_.scale[0] : rng.uniform(c_.scale[0], c_.scale[1]);
  if (c_.cutout > 0) {
    d.cutout_y = static_cast<Index>(rng.below(static_cast<std::uint64_t>(height_)));
    d.cutout_x = static_cast<Index>(rng.below(static_cast<std::uint64_t>(width_)));
  }
  return d;
}

void Augmenter::apply_draw(float* x, const AugmentDraw& d, Rng& noise_rng) {
  augment(x, d, noise_rng, scratch_.data());
}

void Augmenter::augment(float* x, const AugmentDraw& d, Rng& noise_rng, float* s) {
  const Index features = channels_ * plane_;
  if (colour_) {
    // Pixel space: the same arithmetic torchvision does on an un-normalized image, then back.
    for (Index j = 0; j < features; ++j) s[j] = x[j] * std_[j] + mean_[j];
    for (int op : d.colour_order) {
      if (op == 0 && d.brightness != 1) {
        const float b = static_cast<float>(d.brightness);
        for (Index j = 0; j < features; ++j) s[j] = clamp_pixel(s[j] * b);
      } else if (op == 1 && d.contrast != 1) {  // blend with the mean grey level of the image
        double sum = 0;
        if (channels_ == 3) {
          for (Index k = 0; k < plane_; ++k)
            sum += 0.299f * s[k] + 0.587f * s[plane_ + k] + 0.114f * s[2 * plane_ + k];
          sum /= static_cast<double>(plane_);
        } else {
          for (Index j = 0; j < features; ++j) sum += s[j];
          sum /= static_cast<double>(features);
        }
        const float c = static_cast<float>(d.contrast), m = static_cast<float>((1.0 - d.contrast) * sum);
        for (Index j = 0; j < features; ++j) s[j] = clamp_pixel(c * s[j] + m);
      } else if (op == 2 && d.saturation != 1 && channels_ == 3) {  // blend each pixel with its grey
        const float f = static_cast<float>(d.saturation), g = 1.0f - f;
        float *r = s, *gr = s + plane_, *b = s + 2 * plane_;
        for (Index k = 0; k < plane_; ++k) {
          const float grey = 0.299f * r[k] + 0.587f * gr[k] + 0.114f * b[k];
          r[k] = clamp_pixel(f * r[k] + g * grey);
          gr[k] = clamp_pixel(f * gr[k] + g * grey);
          b[k] = clamp_pixel(f * b[k] + g * grey);
        }
      }
    }
    for (Index j = 0; j < features; ++j) x[j] = (s[j] - mean_[j]) / std_[j];
  }
  if (geometry_) {
    if (d.angle != 0 || d.scale != 1) {
      std::memcpy(s, x, static_cast<std::size_t>(features) * sizeof(float));
      warp_image(s, x, channels_, height_, width_, d);
    } else if (d.flip || d.shift_x != 0 || d.shift_y != 0) {
      std::memcpy(s, x, static_cast<std::size_t>(features) * sizeof(float));
      shift_flip_image(s, x, channels_, height_, width_, d.shift_x, d.shift_y, d.flip);
    }
  }
  if (c_.noise_std > 0) {
    fill_normal(s, features, noise_rng);
    const float sd = static_cast<float>(c_.noise_std);
    for (Index j = 0; j < features; ++j) x[j] += sd * s[j];
  }
  if (c_.cutout > 0 && d.cutout_y >= 0) cutout_image(x, channels_, height_, width_, d.cutout_y, d.cutout_x, c_.cutout);
}

void Augmenter::apply_one(float* x, Rng& rng) {
  if (!enabled_) return;
  const AugmentDraw d = draw(rng);
  apply_draw(x, d, rng);
}

void Augmenter::apply(View<float> batch, Rng& rng) {
  if (!enabled_) return;
  const Index features = channels_ * plane_;
  GRADNET_ASSERT(batch.cols == features);
  // Row i's generator is seeded with splitmix64's i-th output from one draw of rng, so the result
  // is the same on any thread count; each thread has its own scratch image.
  const std::uint64_t base = rng.next_u64();
  const int threads = std::min(threads_, omp_get_max_threads());
  // Threads only for the costly transforms (bilinear warp, colour, noise: 10-30 µs per CIFAR image);
  // shifts, flips and cutout (~4 µs) cost less than waking a team would save.
  const bool costly = colour_ || c_.noise_std > 0 || c_.rotation > 0 || scale_on(c_);
  const bool parallel = costly && threads > 1 && batch.rows > 1 && batch.rows * features >= (Index{1} << 15);
#pragma omp parallel for schedule(static) num_threads(threads) if (parallel)
  for (Index i = 0; i < batch.rows; ++i) {
    std::uint64_t z = base + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    Rng image_rng(z ^ (z >> 31));
    const AugmentDraw d = draw(image_rng);
    augment(batch.row(i), d, image_rng, scratch_.data() + static_cast<Index>(omp_get_thread_num()) * features);
  }
}

void shift_flip_image(const float* src, float* dst, Index C, Index H, Index W, Index shift_x, Index shift_y,
                      bool flip) {
  // Columns x whose source column lies inside: x - shift_x in [0, W) (flip: W-1-x - shift_x).
  const Index lo = flip ? std::max<Index>(0, -shift_x) : std::max<Index>(0, shift_x);
  const Index hi = flip ? std::min<Index>(W, W - shift_x) : std::min<Index>(W, W + shift_x);
  for (Index c = 0; c < C; ++c) {
    for (Index y = 0; y < H; ++y) {
      float* out = dst + (c * H + y) * W;
      const Index sy = y - shift_y;
      if (sy < 0 || sy >= H || lo >= hi) {
        std::fill(out, out + W, 0.0f);
        continue;
      }
      const float* in = src + (c * H + sy) * W;
      std::fill(out, out + lo, 0.0f);
      if (flip) {
        for (Index x = lo; x < hi; ++x) out[x] = in[W - 1 - x - shift_x];
      } else {
        std::memcpy(out + lo, in + lo - shift_x, static_cast<std::size_t>(hi - lo) * sizeof(float));
      }
      std::fill(out + hi, out + W, 0.0f);
    }
  }
}

void warp_image(const float* src, float* dst, Index C, Index H, Index W, const AugmentDraw& d) {
  // Output pixel p: undo the flip, then the shift, then rotation and scale about the centre.
  // Forward map (counter-clockwise on screen, y down): p' - c = s·[cos sin; -sin cos]·(p - c), so
  // the source of p is c + [cos -sin; sin cos]·(p - c)/s, affine in the output x along a row.
  const double cx = 0.5 * static_cast<double>(W - 1), cy = 0.5 * static_cast<double>(H - 1);
  const double rad = d.angle * std::numbers::pi / 180.0;
  const double ca = std::cos(rad) / d.scale, sa = std::sin(rad) / d.scale;
  const double dir = d.flip ? -1.0 : 1.0;  // px = dir·x + px0
  const double px0 = (d.flip ? static_cast<double>(W - 1) : 0.0) - static_cast<double>(d.shift_x) - cx;
  const float fw = static_cast<float>(W), fh = static_cast<float>(H);
  const Index plane = H * W;
  for (Index y = 0; y < H; ++y) {
    const double py = static_cast<double>(y - d.shift_y) - cy;
    // sx = sx0 + x·dsx, sy = sy0 + x·dsy (float: exact for whole and half pixels, plenty for the rest)
    const float sx0 = static_cast<float>(cx + ca * px0 - sa * py), dsx = static_cast<float>(ca * dir);
    const float sy0 = static_cast<float>(cy + sa * px0 + ca * py), dsy = static_cast<float>(sa * dir);
    float* out = dst + y * W;
    for (Index x = 0; x < W; ++x) {
      const float sx = sx0 + static_cast<float>(x) * dsx, sy = sy0 + static_cast<float>(x) * dsy;
      float* o = out + x;
      if (!(sx > -1.0f && sy > -1.0f && sx < fw && sy < fh)) {  // no neighbour inside (or NaN)
        for (Index c = 0; c < C; ++c) o[c * plane] = 0.0f;
        continue;
      }
      const float fx0 = std::floor(sx), fy0 = std::floor(sy);
      const Index x0 = static_cast<Index>(fx0), y0 = static_cast<Index>(fy0);
      const float fx = sx - fx0, fy = sy - fy0;
      const float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const Index k = y0 * W + x0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {  // the usual case: all four inside
        for (Index c = 0; c < C; ++c) {
          const float* p = src + c * plane + k;
          o[c * plane] = w00 * p[0] + w01 * p[1] + w10 * p[W] + w11 * p[W + 1];
        }
        continue;
      }
      const bool in_x0 = x0 >= 0, in_x1 = x0 + 1 < W, in_y0 = y0 >= 0, in_y1 = y0 + 1 < H;
      for (Index c = 0; c < C; ++c) {
        const float* p = src + c * plane;  // indexed from k: only the neighbours inside are read
        float v = 0.0f;
        if (in_y0) {
          if (in_x0) v += w00 * p[k];
          if (in_x1) v += w01 * p[k + 1];
        }
        if (in_y1) {
          if (in_x0) v += w10 * p[k + W];
          if (in_x1) v += w11 * p[k + W + 1];
        }
        o[c * plane] = v;
      }
    }
  }
}

void cutout_image(float* x, Index C, Index H, Index W, Index cy, Index cx, Index size) {
  const Index y0 = std::max<Index>(0, cy - size / 2), y1 = std::min<Index>(H, cy - size / 2 + size);
  const Index x0 = std::max<Index>(0, cx - size / 2), x1 = std::min<Index>(W, cx - size / 2 + size);
  if (y0 >= y1 || x0 >= x1) return;
  for (Index c = 0; c < C; ++c)
    for (Index y = y0; y < y1; ++y) std::fill(x + (c * H + y) * W + x0, x + (c * H + y) * W + x1, 0.0f);
}

}  // namespace gradnet
