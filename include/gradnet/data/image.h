// PNG input and output (libpng's simplified API) and JPEG (libjpeg-turbo, src/data/jpeg.cpp). Used
// by `gradnet predict` to classify image files, by image-folder datasets (folder.h) and by tools
// that dump examples.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/data/dataset.h"

namespace gradnet {

// One example per file (PNG or JPEG, read_image_bytes), pixels 0..255 as float (raw, like the IDX readers). Grayscale files
// give shape {1, H, W}; color files {3, H, W} (planar RGB, alpha composited onto black). Any
// bit depth or palette is converted to 8 bits. Error{data} naming the file for an unreadable
// PNG, or when a file's size or channel count differs from the first file's. y = zeros.
// expect_values > 0: a file of another size (width x height x channels) is refused before it is
// decoded; a file beyond 256 MB of pixels always is.
Dataset load_png_images(const std::vector<std::string>& paths, Index expect_values = 0);

// Writes an 8-bit grayscale PNG of width x height pixels (row-major). Error{runtime} on failure.
void write_png_gray(const std::string& path, const std::uint8_t* pixels, Index width, Index height);
// The same for RGB: pixels interleaved R, G, B, row-major.
void write_png_rgb(const std::string& path, const std::uint8_t* pixels, Index width, Index height);

// The {C, H, W} of a PNG from its header alone (C: 1 grayscale, 3 colour), without decoding it.
Shape png_shape(const std::string& path);

// One decoded image file: 8-bit pixels, interleaved (HWC), channels 1 (grayscale) or 3 (RGB).
struct ImageBytes {
  Index width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
};

// A PNG or a JPEG, told apart by the file's first bytes (never by its name). PNG as in
// load_png_images (any depth or palette to 8 bits, alpha composited onto black); JPEG grayscale
// stays 1 channel, YCbCr/RGB becomes RGB; CMYK is refused. A corrupt or truncated file (libjpeg's
// "premature end" and corrupt-data warnings included), or one that is neither, is Error{data}
// naming it; so is one beyond 256 MB of pixels.
ImageBytes read_image_bytes(const std::string& path);
ImageBytes read_jpeg_bytes(const std::string& path);
// Is this name a PNG or JPEG by its extension (.png, .jpg, .jpeg, any case)?
bool is_image_file_name(const std::string& name);
// The {C, H, W} of a PNG or JPEG from its header, without decoding the pixels.
Shape image_file_shape(const std::string& path);

// Writes a baseline JPEG (quality 1..100) of interleaved 8-bit pixels, channels 1 or 3.
void write_jpeg(const std::string& path, const std::uint8_t* pixels, Index width, Index height, Index channels,
                int quality = 90);

// Conversions of raw images (values 0..255, planar {C, H, W}) for `gradnet predict`
// (src/data/image_convert.cpp). Each returns the converted pixels; `shape` is the input's.
// RGB -> grayscale: ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B (what PIL's convert("L") uses).
std::vector<float> to_grayscale(const float* rgb, const Shape& shape);
// Grayscale -> RGB: the one channel repeated three times.
std::vector<float> to_rgb(const float* gray, const Shape& shape);
// Resampled to height x width, each output pixel the area-weighted mean of the input pixels it
// covers (a box filter: no aliasing when shrinking 56x56 to 28x28).
std::vector<float> resize_image(const float* pixels, const Shape& shape, Index height, Index width);
// The mean of the outermost ring of pixels, every channel: an image's background level.
double border_mean(const float* pixels, const Shape& shape);
double border_mean(const std::uint8_t* pixels, const Shape& shape);

}  // namespace gradnet
