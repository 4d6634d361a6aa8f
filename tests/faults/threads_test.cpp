// Thread counts are clamped to the cores and to an address-space limit: OpenBLAS spins forever
// when it cannot map its per-thread buffers (threads = 64 under ulimit -v 8000000 hung).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faults_support.h"
#include "gradnet/threads.h"

using namespace gradnet::testing;

TEST(Threads, ClampedToTheCores) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(gradnet::thread_count(1), 1);
  EXPECT_LE(gradnet::thread_count(100000), cores);
  EXPECT_GE(gradnet::thread_count(0), 1);
  EXPECT_LE(gradnet::thread_count(0), cores);
}

TEST(Threads, ClampedToAnAddressSpaceLimit) {
  // 2 GiB leaves room for 1 GiB of 160 MiB thread buffers: 6 threads. Where the hard limit is
  // lower, that limit is the one set, and the same rule gives the expected count.
  rlimit hard{};
  ASSERT_EQ(::getrlimit(RLIMIT_AS, &hard), 0);
  rlim_t limit = rlim_t(2) << 30;
  if (hard.rlim_max != RLIM_INFINITY && hard.rlim_max < limit) limit = hard.rlim_max;
  const int expected = std::max(1, static_cast<int>(limit / 2 / (rlim_t(160) << 20)));
  const pid_t pid = ::fork();
  if (pid == 0) {  // the limit only in the child
    rlimit r = hard;
    r.rlim_cur = limit;
    if (::setrlimit(RLIMIT_AS, &r) != 0) ::_exit(255);
    ::_exit(gradnet::address_space_threads());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), expected);
}

TEST(Threads, ManyThreadsUnderUlimitDoNotHang) {
  FakeMnist data;
  TempDir tmp;
  write_file(tmp / "c.toml", fake_config(data.path()));
  const std::string cmd = "ulimit -v 8000000 && timeout 60 '" + std::string(GRADNET_BINARY) + "' train '" +
                          (tmp / "c.toml") + "' --out '" + (tmp / "run") + "' -q --json --set train.threads=64 >'" +
                          (tmp / "out") + "' 2>'" + (tmp / "err") + "'";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << read_file(tmp / "err");  // 124: timed out, the hang
  const int threads = last_json_line(read_file(tmp / "out"))["threads"];
  EXPECT_LE(threads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}
