// Helpers for the fault tests: small fake datasets, a tiny config over them, and running the
// binary as a child process that a test can stop, continue, kill and wait for.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace gradnet::testing {

// MNIST-named IDX files (gzip): `train` training and 20 test images of 28x28.
struct FakeMnist {
  TempDir dir;
  explicit FakeMnist(std::uint32_t train = 100) {
    std::vector<std::uint8_t> train_labels(train), test_labels(20);
    for (std::size_t i = 0; i < train_labels.size(); ++i) train_labels[i] = i % 10;
    for (std::size_t i = 0; i < test_labels.size(); ++i) test_labels[i] = i % 10;
    write_gzip(dir / "train-images-idx3-ubyte.gz", idx_images(train, 28, 28));
    write_gzip(dir / "train-labels-idx1-ubyte.gz", idx_labels(train_labels));
    write_gzip(dir / "t10k-images-idx3-ubyte.gz", idx_images(20, 28, 28));
    write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(test_labels));
  }
  std::string path() const { return dir.path().string(); }
};

// A 784-8-10 MLP over FakeMnist: a run takes a fraction of a second.
inline std::string fake_config(const std::string& data_dir, const std::string& train_extra = "",
                               const std::string& extra = "") {
  return "name = \"fault\"\n[data]\ndataset = \"mnist\"\ndir = \"" + data_dir +
         "\"\nvalidation = 10\nnormalize = \"scale01\"\n"
         "[model]\ninput = [784]\nlayers = [ { type = \"linear\", out = 8 }, { type = \"tanh\" }, "
         "{ type = \"linear\", out = 10 } ]\n"
         "[optimizer]\ntype = \"sgd\"\nlr = 0.05\n"
         "[train]\nepochs = 2\nbatch_size = 10\nseed = 3\nthreads = 1\n" +
         train_extra + extra;
}

inline void expect_mentions(const CliResult& r, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "missing '" << p << "' in: " << r.err;
}

// A gradnet process: stdout and stderr go to files in a temp directory.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    const std::string out = tmp_ / "out", err = tmp_ / "err";
    pid_ = ::fork();
    if (pid_ == 0) {
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(o, 1);
      ::dup2(e, 2);
      std::vector<std::string> all = {GRADNET_BINARY};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(GRADNET_BINARY, argv.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // SIGSTOP, returning once the child has stopped (kill() returns before it has: a child on the
  // other core may still be writing files).
  void stop() {
    ::kill(pid_, SIGSTOP);
    int status = 0;
    ::waitpid(pid_, &status, WUNTRACED);
  }
  // The exit code (128 + signal when killed by one); -1 after 60 s (the child is then killed).
  int wait() {
    int status = 0;
    for (int i = 0; i < 6000; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        done_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  std::string err() const { return read_file(tmp_ / "err"); }
  std::string out() const { return read_file(tmp_ / "out"); }

 private:
  TempDir tmp_;
  pid_t pid_ = -1;
  bool done_ = false;
};

// Waits (up to 30 s) until pred() holds; false if it never did.
template <typename F>
bool eventually(F pred) {
  for (int i = 0; i < 3000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace gradnet::testing
