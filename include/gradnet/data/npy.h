// NumPy arrays (data.dataset = "npy"; docs/data.md, "NumPy arrays"): features and integer labels
// in .npy files (format versions 1-3) or one .npz archive (np.savez or np.savez_compressed).
//   data.path = "x.npy", data.train_labels = "y.npy" [, data.test_path = "x_test.npy",
//     data.test_labels = "y_test.npy"]   (paths relative to the config file's folder)
//   data.path = "data.npz": arrays x_train, y_train and, optionally, x_test, y_test (Keras's
//     mnist.npz naming)
// Without test arrays, data.test_fraction of the rows (a seeded draw) is the test split; the rows
// are shuffled with Rng::stream(seed, "split") either way, as for CSV.
// Features: uint8 (kept as bytes, like images), float32 or float64 (as float rows); C order.
// Example shape: (N, F) -> [F]; (N, H, W) -> [1, H, W]; (N, C, H, W) as is; (N, H, W, C) with C
// 1 or 3 (and H not 1 or 3) is channels-last and becomes [C, H, W]. Labels: any integer dtype,
// shape (N,) or (N, 1), values 0..2^31-1 (classes = the largest + 1).
// Errors (Error{data}, exit 2) name the file and array: not an .npy, an unsupported dtype
// (big-endian, object, string), Fortran order, a truncated array, a label count unlike the
// feature count, a negative label.
#pragma once

#include <cstdint>
#include <string>

#include "gradnet/data/dataset.h"
#include "gradnet/data/options.h"

namespace gradnet {

// config_dir: where relative paths in c start.
Splits load_npy_splits(const DataConfig& c, const std::string& config_dir, std::uint64_t seed);

// Writes a C-order .npy (format 1.0) of the given dtype ("<f4", "|u1", "<i8", ...) and shape;
// data holds numel(shape) items of that dtype. For tests and tools.
void write_npy(const std::string& path, const std::string& dtype, const Shape& shape, const void* data);

}  // namespace gradnet
