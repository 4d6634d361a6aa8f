// The safetensors format (huggingface/safetensors): 8-byte little-endian header length N, an
// N-byte JSON header {"name": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...,
// "__metadata__": {string: string}}, then the little-endian data. Python's safetensors and
// PyTorch read what we write.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

// The metadata key of the checksum gradnet writes into every file: "crc32:<8 hex digits>" over the
// other metadata, every tensor's header entry and the data. read_safetensors verifies it when
// present (files written before it have none); other readers see one more metadata string.
inline constexpr const char* kChecksumKey = "gradnet_checksum";

struct NamedTensor {
  std::string name;
  Shape shape;
  std::vector<float> data;  // stored as F32
};

struct SafetensorsFile {
  std::vector<NamedTensor> tensors;               // in file order
  std::map<std::string, std::string> metadata;
  const NamedTensor* find(const std::string& name) const;
};

std::string encode_safetensors(const SafetensorsFile& file);
void write_safetensors(const std::string& path, const SafetensorsFile& file);  // atomic
// Error{checkpoint} naming the file for anything malformed (bad header length, bad JSON,
// offsets outside the data, unsupported dtype, a checksum that does not match). F32 and F64 (converted) are read.
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace gradnet
