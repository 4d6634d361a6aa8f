// Internal: small raster images for report.html (first-layer weights, gallery examples),
// composed and encoded as PNG with cairo, embedded as data: URIs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gradnet::report {

struct Image {
  int width = 0, height = 0;
  std::vector<std::uint32_t> rgb;  // width * height pixels, 0xRRGGBB, row-major
};

// values: channels x height x width (planar, as datasets store images), mapped to 0..255 by
// (v - lo) / (hi - lo); 1 channel gives gray, 3 give RGB.
Image image_from_planes(const float* values, int channels, int height, int width, double lo, double hi);
// rows x cols values on a diverging blue-white-red scale, symmetric around 0 (±max |v|).
Image diverging_heatmap(const float* values, int rows, int cols);
// Tiles (all the same size) on a grid of `cols` columns, each framed by `gap` pixels of background;
// white where the last row has no tile.
Image tile_grid(const std::vector<Image>& tiles, int cols, int gap, std::uint32_t background);

// PNG bytes of img magnified `scale` times (nearest neighbour: each value stays a crisp square).
std::string png_bytes(const Image& img, int scale);
std::string png_data_uri(const Image& img, int scale);

}  // namespace gradnet::report
