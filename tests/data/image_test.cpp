// PNG: a written grayscale image reads back pixel for pixel; mismatched sizes and non-PNG
// files are Error{data} naming the file.
#include "gradnet/data/image.h"

#include <gtest/gtest.h>

#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet {
namespace {

using testing::TempDir;

TEST(Image, GrayRoundTrip) {
  TempDir dir;
  std::vector<std::uint8_t> a(6 * 4), b(6 * 4);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<std::uint8_t>(i * 10);
    b[i] = static_cast<std::uint8_t>(255 - i);
  }
  write_png_gray(dir / "a.png", a.data(), 6, 4);
  write_png_gray(dir / "b.png", b.data(), 6, 4);
  const Dataset d = load_png_images({dir / "a.png", dir / "b.png"});
  ASSERT_EQ(d.size(), 2);
  EXPECT_EQ(d.shape, (Shape{1, 4, 6}));
  for (Index i = 0; i < 24; ++i) {
    EXPECT_EQ(d.x[i], a[i]);
    EXPECT_EQ(d.x[24 + i], b[i]);
  }
}

TEST(Image, Errors) {
  TempDir dir;
  std::vector<std::uint8_t> px(9, 1);
  write_png_gray(dir / "three.png", px.data(), 3, 3);
  write_png_gray(dir / "wide.png", px.data(), 9, 1);
  testing::write_file(dir / "fake.png", "not a png at all");
  for (const auto& [paths, part] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{dir / "three.png", dir / "wide.png"}, "wide.png: 9x1 grayscale, but"},
           {{dir / "fake.png"}, "fake.png: not a readable PNG"},
           {{dir / "gone.png"}, "gone.png: no such file"}}) {
    try {
      load_png_images(paths);
      ADD_FAILURE() << "no error for " << part;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::data);
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace gradnet
