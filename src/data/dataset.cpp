#include "gradnet/data/dataset.h"

#include <algorithm>
#include <cstring>

#include "gradnet/error.h"

namespace gradnet {

Dataset slice(const Dataset& d, Index begin, Index end) {
  GRADNET_ASSERT(0 <= begin && begin <= end && end <= d.size());
  Dataset out;
  out.shape = d.shape;
  out.classes = d.classes;
  out.class_names = d.class_names;
  out.source = d.source;
  const Index features = d.features();
  out.x.resize({end - begin, features});
  if (end > begin)
    std::memcpy(out.x.data(), d.x.data() + begin * features, sizeof(float) * static_cast<std::size_t>((end - begin) * features));
  out.y.assign(d.y.begin() + begin, d.y.begin() + end);
  return out;
}

void truncate(Dataset& d, Index end) {
  if (end >= d.size()) return;
  d.x.truncate_rows(end);
  d.y.resize(static_cast<std::size_t>(end));
}

}  // namespace gradnet
