// Small configs the CLI tests write into temporary directories.
#pragma once

#include <string>

namespace gradnet::testing {

// A small MLP (784-32-10) on MNIST-shaped data in data_dir ("" = the default search).
inline std::string tiny_mnist_config(const std::string& data_dir, const std::string& extra = "") {
  std::string dir_line = data_dir.empty() ? "" : "dir = \"" + data_dir + "\"\n";
  return "name = \"tiny\"\n"
         "[data]\n"
         "dataset = \"mnist\"\n" +
         dir_line +
         "validation = 200\n"
         "train_limit = 2000\n"
         "test_limit = 500\n"
         "normalize = \"standardize\"\n"
         "[model]\n"
         "input = [784]\n"
         "loss = \"softmax_cross_entropy\"\n"
         "layers = [\n"
         "  { type = \"linear\", out = 32, init = \"xavier_uniform\" },\n"
         "  { type = \"tanh\" },\n"
         "  { type = \"linear\", out = 10, init = \"xavier_uniform\" },\n"
         "]\n"
         "[optimizer]\n"
         "type = \"sgd\"\n"
         "lr = 0.1\n"
         "[train]\n"
         "epochs = 2\n"
         "batch_size = 64\n"
         "seed = 7\n"
         "threads = 1\n" +
         extra;
}

}  // namespace gradnet::testing
