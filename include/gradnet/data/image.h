// PNG input and output (libpng's simplified API). Used by `gradnet predict` to classify image
// files and by tools that dump examples.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/data/dataset.h"

namespace gradnet {

// One example per file, pixels 0..255 as float (raw, like the IDX readers). Grayscale files
// give shape {1, H, W}; color files {3, H, W} (planar RGB, alpha composited onto black). Any
// bit depth or palette is converted to 8 bits. Error{data} naming the file for an unreadable
// PNG, or when a file's size or channel count differs from the first file's. y = zeros.
// expect_values > 0: a file of another size (width x height x channels) is refused before it is
// decoded; a file beyond 256 MB of pixels always is.
Dataset load_png_images(const std::vector<std::string>& paths, Index expect_values = 0);

// Writes an 8-bit grayscale PNG of width x height pixels (row-major). Error{runtime} on failure.
void write_png_gray(const std::string& path, const std::uint8_t* pixels, Index width, Index height);

}  // namespace gradnet
