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

TEST(Image, RgbRoundTripAndShapeFromTheHeader) {
  TempDir dir;
  std::vector<std::uint8_t> px(5 * 2 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 8);
  write_png_rgb(dir / "c.png", px.data(), 5, 2);
  EXPECT_EQ(png_shape(dir / "c.png"), (Shape{3, 2, 5}));
  const Dataset d = load_png_images({dir / "c.png"});
  ASSERT_EQ(d.shape, (Shape{3, 2, 5}));
  for (Index p = 0; p < 10; ++p)  // interleaved RGB in the file, planar in the example
    for (Index c = 0; c < 3; ++c) EXPECT_EQ(d.x[c * 10 + p], px[p * 3 + c]);
  testing::write_file(dir / "fake.png", "not a png");
  EXPECT_THROW(png_shape(dir / "fake.png"), Error);
}

TEST(Image, GrayscaleIsBt601LumaAndRgbRepeatsTheChannel) {
  const std::vector<float> rgb = {255, 0, 10, 0, 255, 20, 0, 0, 30};  // 3 pixels, planar R, G, B
  const std::vector<float> gray = to_grayscale(rgb.data(), {3, 1, 3});
  ASSERT_EQ(gray.size(), 3u);
  EXPECT_NEAR(gray[0], 0.299f * 255, 1e-3);
  EXPECT_NEAR(gray[1], 0.587f * 255, 1e-3);
  EXPECT_NEAR(gray[2], 0.299f * 10 + 0.587f * 20 + 0.114f * 30, 1e-3);
  const std::vector<float> back = to_rgb(gray.data(), {1, 1, 3});
  ASSERT_EQ(back.size(), 9u);
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 3; ++p) EXPECT_EQ(back[c * 3 + p], gray[p]);
}

TEST(Image, ResizeIsAnAreaMean) {
  // 4x4 -> 2x2: each output pixel the mean of a 2x2 block.
  std::vector<float> px(16);
  for (int i = 0; i < 16; ++i) px[i] = static_cast<float>(i * 10);
  const std::vector<float> half = resize_image(px.data(), {1, 4, 4}, 2, 2);
  EXPECT_EQ(half, (std::vector<float>{25, 45, 105, 125}));
  // 2x2 -> 4x4 -> 2x2 gives the original back; 3 -> 2 columns splits the middle pixel.
  const std::vector<float> up = resize_image(half.data(), {1, 2, 2}, 4, 4);
  EXPECT_EQ(up[0], 25);
  EXPECT_EQ(up[3], 45);
  EXPECT_EQ(resize_image(up.data(), {1, 4, 4}, 2, 2), half);
  const std::vector<float> row = {0, 90, 180};
  const std::vector<float> two = resize_image(row.data(), {1, 1, 3}, 1, 2);
  EXPECT_NEAR(two[0], (0 * 1.0 + 90 * 0.5) / 1.5, 1e-4);
  EXPECT_NEAR(two[1], (90 * 0.5 + 180 * 1.0) / 1.5, 1e-4);
  // Channels are resized separately.
  const std::vector<float> two_channels = {0, 0, 0, 0, 200, 200, 200, 200};
  EXPECT_EQ(resize_image(two_channels.data(), {2, 2, 2}, 1, 1), (std::vector<float>{0, 200}));
}

TEST(Image, BorderMeanIsTheOutermostRing) {
  std::vector<float> px(9, 200.0f);
  px[4] = 0;  // the centre of a 3x3 image is not border
  EXPECT_EQ(border_mean(px.data(), {1, 3, 3}), 200.0);
  std::vector<std::uint8_t> bytes(16, 0);
  bytes[0] = 120;  // a corner: 1 of the 12 border pixels
  bytes[5] = 255;  // inside
  EXPECT_DOUBLE_EQ(border_mean(bytes.data(), {1, 4, 4}), 10.0);
}

}  // namespace
}  // namespace gradnet
