// The reconstructions of an autoencoder run (model.target = "input"): test inputs above what the
// net made of them, each pair on one gray scale.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "html.h"
#include "image.h"
#include "sections.h"

namespace gradnet::report {

namespace {

constexpr int kColumns = 8;

// Inputs in the odd rows of the grid, their reconstructions beneath, each pair scaled to the
// input's range (so a faint or over-bright reconstruction shows as such).
Image pairs_grid(const TestSet& t, const Shape& image) {
  const int ch = image[0] == 3 ? 3 : 1, h = static_cast<int>(image[1]), w = static_cast<int>(image[2]);
  const Index shown = t.inputs.shape()[0], d = t.inputs.shape()[1];
  std::vector<Image> tiles;
  for (Index row = 0; row < shown; row += kColumns) {
    const Index end = std::min<Index>(shown, row + kColumns);
    for (int pass = 0; pass < 2; ++pass)
      for (Index i = row; i < row + kColumns; ++i) {
        const Index k = std::min(i, end - 1);  // a short last row repeats its last pair
        const float* in = t.inputs.data() + k * d;
        const auto [lo, hi] = std::minmax_element(in, in + d);
        tiles.push_back(image_from_planes(pass == 0 ? in : t.outputs.data() + k * d, ch, h, w, *lo, *hi));
      }
  }
  return tile_grid(tiles, kColumns, 1, 0x3a4150);
}

}  // namespace

Section reconstruction_section(const Context& c) {
  Section s{"reconstructions", "Reconstructions", ""};
  const TestSet& t = c.test;
  const std::string loss = fmt::format("<p>Test reconstruction loss <b>{:.6g}</b> ({}); accuracy does not apply "
                                       "to a reconstruction model.</p>",
                                       t.loss, c.has_config ? std::string(name_of(c.config.model.loss)) : "");
  const bool image = t.reconstructs_input && c.image_shape.size() == 3 && t.inputs.shape()[0] > 0 &&
                     numel(c.image_shape) == t.inputs.shape()[1];
  if (!image) {
    s.html = loss + callout("info", t.reconstructs_input
                                        ? "The examples are not images, so there is no picture of the reconstructions."
                                        : "This stage reconstructs a hidden layer's output (model.target_layer), "
                                          "not images.");
    return s;
  }
  const Image grid = pairs_grid(t, c.image_shape);
  const int scale = std::max(1, static_cast<int>(std::lround(64.0 / std::max(c.image_shape[1], c.image_shape[2]))));
  s.html = loss + fmt::format("<img class=\"reconstructions\" alt=\"test inputs and their reconstructions\" "
                              "width=\"{}\" height=\"{}\" src=\"{}\">",
                              grid.width * scale, grid.height * scale, png_data_uri(grid, scale));
  s.html += fmt::format(
      "<p>The first {} test examples in rows of {}: each row of inputs (as the net sees them, normalized) with "
      "its reconstructions beneath, every pair drawn on the input's own gray scale. Blurry but right shapes: the "
      "code keeps the gist; the same blob for every input: the autoencoder learned the mean image.</p>",
      t.inputs.shape()[0], kColumns);
  return s;
}

}  // namespace gradnet::report
