// Image folders (data.dataset = "folder"; docs/data.md, "Image folders"), torchvision's
// ImageFolder convention: one subfolder per class, the classes sorted by folder name and numbered
// from 0 in that order, the folder names kept as the class names. Two layouts of data.dir:
//   DIR/<class>/...            every image; data.test_fraction of them (a seeded draw) is the test split;
//   DIR/train/<class>/..., DIR/test/<class>/...
//                              the training and test images (the classes are train/'s folders;
//                              a test folder must name one of them, and may leave some out).
// Each class folder is searched recursively; files are read in sorted path order. .png, .jpg and
// .jpeg files (any case) are images, decoded by their content (image.h); hidden entries (a name
// starting with '.') are ignored; any other file is skipped with one note on stderr. Errors
// (Error{data}, exit 2) name the path: no class folders, an empty class folder, an unreadable,
// corrupt or truncated image, an image whose size or channel count differs from the first one's
// without data.image_size / data.channels to convert it.
// The training split's images are shuffled with Rng::stream(seed, "split") (validation takes its
// last rows, which must not be one class); the test split stays in sorted path order.
// Pixels are kept as bytes (Dataset::byte_rows), planar [C, H, W]; converted images (resized by
// area averaging, RGB to BT.601 grey, grey repeated to RGB) are rounded back to bytes.
#pragma once

#include <cstdint>
#include <string>

#include "gradnet/data/dataset.h"
#include "gradnet/data/options.h"

namespace gradnet {

// The training and test splits of the folder dir (validation is load_splits' job).
// train_limit / test_limit: only the first N files of each split are decoded.
Splits load_folder_splits(const DataConfig& c, const std::string& dir, std::uint64_t seed);

// The test split alone, as load_folder_splits gives it; the training images are not decoded.
Dataset load_folder_test(const DataConfig& c, const std::string& dir, std::uint64_t seed);

}  // namespace gradnet
