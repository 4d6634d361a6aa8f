// The config schema's [data] keys for the user's own files: image folders (data.dataset =
// "folder", src/data/folder.cpp). The npy dataset reuses path, test_path, train_labels and
// test_labels (schema.cpp).
#include <string>

#include "schema_builder.h"

namespace gradnet::config_schema {

void image_folder_keys(Section v) {
  const auto d = &Config::data;
  using D = DataConfig;
  v.add(field("data", d, &D::image_size, "image_size", K::int_list,
              "folder: resize every image to [H, W] by area averaging (a box filter, as `gradnet predict --resize`; "
              "enlarging repeats pixels), rounded back to 0..255; empty: every image must already have the first "
              "one's size")
            .at_least(1)
            .at_most(32768)
            .rule("empty or [H, W]", [](const Value& x) {
              const auto& s = std::get<std::vector<std::int64_t>>(x);
              return s.empty() || s.size() == 2 ? "" : "[H, W] (two sides in pixels), or [] to keep the files' size";
            }));
  v.add(field("data", d, &D::channels, "channels", K::integer,
              "folder: convert every image to 1 channel (grayscale: BT.601 luma, 0.299 R + 0.587 G + 0.114 B) or 3 "
              "(RGB: a grey image's channel repeated); 0: as the files are, all alike")
            .rule("0, 1 or 3", [](const Value& x) {
              const auto c = std::get<std::int64_t>(x);
              return c == 0 || c == 1 || c == 3 ? "" : "0 (as the files are), 1 (grayscale) or 3 (RGB)";
            }));
}

}  // namespace gradnet::config_schema
