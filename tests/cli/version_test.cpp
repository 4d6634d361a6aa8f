// gradnet --version names the engine: the float GEMM library and how idle OpenMP threads wait.
// gradnet sets OMP_WAIT_POLICY=passive for itself unless the user chose a policy (cli/openmp_env.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "test_support.h"

using namespace gradnet::testing;

namespace {

// Sets (or, with nullopt, removes) an environment variable for the test's children; restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST(CliVersion, PassiveWaitingUnlessTheUserChose) {
  ScopedEnv spin("GOMP_SPINCOUNT", std::nullopt);
  {
    ScopedEnv policy("OMP_WAIT_POLICY", std::nullopt);
    CliResult r = run_gradnet({"--version"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("gradnet 0.1.0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("float GEMM: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("idle threads wait: OMP_WAIT_POLICY=passive"), std::string::npos) << r.out;
  }
  {
    ScopedEnv policy("OMP_WAIT_POLICY", std::string("active"));
    CliResult r = run_gradnet({"--version"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("idle threads wait: OMP_WAIT_POLICY=active"), std::string::npos) << r.out;
  }
}
