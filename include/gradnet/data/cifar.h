// CIFAR-10, "binary version" (Krizhevsky's cifar-10-binary.tar.gz): data_batch_1..5.bin and
// test_batch.bin, each a sequence of 3073-byte records = 1 label byte (0..9) + 1024 R + 1024 G +
// 1024 B bytes, each plane 32x32 row-major (so the record is already CHW). 10000 records a file.
// Files may be gzipped or raw (detected by content, see input_file.h). Every problem is
// Error{data} naming the file and the record index:
//   data_batch_3.bin.gz: 30729000 bytes is not a whole number of 3073-byte records: record 9999 has 2073 bytes
//   test_batch.bin: record 731: label 12 is out of range 0..9
#pragma once

#include <string>
#include <vector>

#include "gradnet/data/dataset.h"

namespace gradnet {

inline constexpr Index kCifarRecordBytes = 3073;  // 1 label byte + 3 x 32 x 32 pixel bytes

// The records of the files, in order: shape {3, 32, 32}, byte rows = raw pixels 0..255 (CHW),
// classes = 10, source = the first file. limit > 0 reads files only until `limit` records are
// in hand and keeps the first `limit` (the later files are still checked to exist).
Dataset load_cifar_batches(const std::vector<std::string>& paths, Index limit = 0);

// "airplane", ... from a batches.meta.txt (one name a line, blank lines ignored); Error{data}
// unless it holds exactly `classes` names.
std::vector<std::string> load_cifar_class_names(const std::string& path, Index classes = 10);

// <dir>/<name>.bin if present, else <dir>/<name>.bin.gz; Error{data} naming both when neither is.
std::string find_cifar_file(const std::string& dir, const std::string& name);

}  // namespace gradnet
