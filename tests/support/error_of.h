// error_of(f, kind): the message of the gradnet::Error that f throws, its kind checked; a test
// failure (and "") when f throws none. For tests of what bad input says.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "gradnet/error.h"

namespace gradnet::testing {

template <typename F>
std::string error_of(F f, ErrorKind kind = ErrorKind::data) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

}  // namespace gradnet::testing
