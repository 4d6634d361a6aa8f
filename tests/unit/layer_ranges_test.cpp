// Layer ranges (train.freeze, train.init_layers) and the unfreeze schedule (train.unfreeze).
#include "gradnet/layer_ranges.h"

#include <gtest/gtest.h>

#include "gradnet/error.h"

namespace gradnet {
namespace {

TEST(LayerRanges, SelectsSingleLayersAndInclusiveRanges) {
  EXPECT_EQ(select_layers("layers.0-2, layers.4", 6, "k"), (std::vector<bool>{true, true, true, false, true, false}));
  EXPECT_EQ(select_layers("layers.3", 4, "k"), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(select_layers("", 2, "k"), (std::vector<bool>{false, false}));
  EXPECT_EQ(layer_of_tensor("layers.12.running_mean"), 12);
  EXPECT_EQ(layer_of_tensor("model.layers.1.weight"), -1);
}

TEST(LayerRanges, SaysWhatIsWrong) {
  EXPECT_EQ(layer_ranges_problem("layers.0-3,layers.5"), "");
  EXPECT_NE(layer_ranges_problem("layers.a").find("expected layers.N or layers.N-M"), std::string::npos);
  EXPECT_NE(layer_ranges_problem("layers.0-"), "");
  EXPECT_NE(layer_ranges_problem("layers.0,"), "");
  EXPECT_NE(layer_ranges_problem("0-3").find("'0-3'"), std::string::npos);
  EXPECT_NE(layer_ranges_problem("layers.5-2").find("runs backwards"), std::string::npos);
  try {
    select_layers("layers.1-9", 3, "train.freeze");
    ADD_FAILURE() << "a range past the last layer accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("train.freeze = \"layers.1-9\": layers.9 does not exist"), std::string::npos)
        << e.what();
  }
}

TEST(LayerRanges, UnfreezeSchedule) {
  const std::vector<UnfreezeStep> steps = parse_unfreeze("3: layers.2-3; 5:layers.0-1", "train.unfreeze");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].epoch, 3);
  EXPECT_EQ(steps[0].layers, "layers.2-3");
  EXPECT_EQ(steps[1].epoch, 5);
  EXPECT_EQ(steps[1].layers, "layers.0-1");
  EXPECT_NE(unfreeze_problem("3 layers.1").find("expected EPOCH: LAYERS"), std::string::npos);
  EXPECT_NE(unfreeze_problem("0: layers.1").find("EPOCH >= 1"), std::string::npos);
  EXPECT_NE(unfreeze_problem("4: layers.1; 2: layers.0").find("must increase"), std::string::npos);
  EXPECT_NE(unfreeze_problem("4:").find("no layers"), std::string::npos);
}

}  // namespace
}  // namespace gradnet
