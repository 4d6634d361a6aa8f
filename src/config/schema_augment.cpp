// The config schema's [augment] section: on-the-fly augmentation of image training batches
// (docs/augmentation.md; the transforms are in src/data/augment.cpp). Every key is off by default.
#include <string>

#include "schema_builder.h"

namespace gradnet::config_schema {

void augment_keys(Section v) {
  const auto a = &Config::augment;
  using A = AugmentConfig;
  v.add(field("augment", a, &A::hflip, "hflip", K::number,
              "probability of mirroring an image left to right; 0.5 is the usual choice; 0: off")
            .at_least(0).at_most(1));
  v.add(field("augment", a, &A::crop_padding, "crop_padding", K::integer,
              "random crop: pad P pixels of zeros on every side, crop back to H×W at a uniformly random offset "
              "(the CIFAR-10 standard is 4); 0: off")
            .at_least(0).at_most(1024));
  v.add(field("augment", a, &A::translate, "translate", K::number,
              "random shift of up to this fraction of the width (x) and height (y), each way, rounded to whole "
              "pixels (torchvision's RandomAffine translate); zeros enter; 0: off")
            .at_least(0).at_most(1));
  v.add(field("augment", a, &A::rotation, "rotation", K::number,
              "random rotation about the centre by up to this many degrees either way (bilinear, zeros enter); "
              "0: off")
            .at_least(0).at_most(180));
  v.add(field("augment", a, &A::scale, "scale", K::number_list,
              "random zoom by a factor drawn uniformly from [lo, hi] (> 1 enlarges; bilinear, one warp with "
              "rotation); [1, 1]: off")
            .above(0).at_most(10)
            .rule("[lo, hi] with lo <= hi", [](const Value& x) {
              const auto& s = std::get<std::vector<double>>(x);
              return s.size() == 2 && s[0] <= s[1] ? "" : "two numbers [lo, hi], 0 < lo <= hi <= 10";
            }));
  v.add(field("augment", a, &A::brightness, "brightness", K::number,
              "colour jitter (torchvision's ColorJitter): multiply the pixels by a factor from "
              "[max(0, 1 - b), 1 + b], clamped to 0..255; 0: off")
            .at_least(0));
  v.add(field("augment", a, &A::contrast, "contrast", K::number,
              "colour jitter: blend with the image's mean grey level by a factor from [max(0, 1 - c), 1 + c]; 0: off")
            .at_least(0));
  v.add(field("augment", a, &A::saturation, "saturation", K::number,
              "colour jitter, 3 channels only: blend each pixel with its grey value by a factor from "
              "[max(0, 1 - s), 1 + s]; 0: off")
            .at_least(0));
  v.add(field("augment", a, &A::noise_std, "noise_std", K::number,
              "add Gaussian noise of this standard deviation to every input value, after normalization (with "
              "standardize: in units of a channel's std); 0: off")
            .at_least(0));
  v.add(field("augment", a, &A::cutout, "cutout", K::integer,
              "cutout (DeVries & Taylor): set a square of this side in pixels, centred at a random pixel and "
              "clipped at the borders, to 0 in every channel; 0: off")
            .at_least(0).at_most(1024));
}

}  // namespace gradnet::config_schema
