// The gradnet version, as `gradnet --version` prints it and summary.json records it
// (tests/cli/train_test.cpp checks that the two agree).
#pragma once

namespace gradnet {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace gradnet
