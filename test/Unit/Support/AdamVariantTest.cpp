//===- AdamVariantTest.cpp - the MLIR-free variant and preset names -------===//

#include "optim/Support/AdamVariant.h"

#include <gtest/gtest.h>

using namespace optim;

TEST(AdamVariant, EnumSpellingsRoundTrip) {
  for (BiasCorrection v :
       {BiasCorrection::standard, BiasCorrection::folded, BiasCorrection::none})
    EXPECT_EQ(symbolizeBiasCorrection(stringifyBiasCorrection(v)), v);
  for (DecayRate v : {DecayRate::lr, DecayRate::effective})
    EXPECT_EQ(symbolizeDecayRate(stringifyDecayRate(v)), v);
  for (WeightDecayMode v :
       {WeightDecayMode::none, WeightDecayMode::l2, WeightDecayMode::decoupled})
    EXPECT_EQ(symbolizeWeightDecayMode(stringifyWeightDecayMode(v)), v);
  // The spellings are the dialect's attribute spellings.
  EXPECT_EQ(stringifyBiasCorrection(BiasCorrection::folded), "folded");
  EXPECT_EQ(stringifyWeightDecayMode(WeightDecayMode::decoupled), "decoupled");
  EXPECT_EQ(stringifyDecayRate(DecayRate::effective), "effective");
}

TEST(AdamVariant, UnknownNamesAreRejected) {
  EXPECT_FALSE(symbolizeBiasCorrection("Standard"));
  EXPECT_FALSE(symbolizeDecayRate(""));
  EXPECT_FALSE(symbolizeWeightDecayMode("l2 "));
  EXPECT_FALSE(symbolizePreset("torch.sgd"));
}

TEST(AdamVariant, PresetNamesRoundTrip) {
  ASSERT_EQ(getAllPresets().size(), 6u);
  for (Preset preset : getAllPresets())
    EXPECT_EQ(symbolizePreset(stringifyPreset(preset)), preset);
  EXPECT_EQ(symbolizePreset("torch.adamw"), Preset::TorchAdamW);
}

TEST(AdamVariant, PresetVariantsAndSpelling) {
  AdamVariant adamw = getPresetVariant(Preset::TorchAdamW, {/*amsgrad=*/true});
  EXPECT_EQ(adamw.weightDecay, WeightDecayMode::decoupled);
  EXPECT_EQ(adamw.str(), "adamw.standard+amsgrad");
  AdamVariant mxnet = getPresetVariant(Preset::MXNetAdamW);
  EXPECT_EQ(mxnet.str(), "adamw.folded+decay_effective");
  EXPECT_EQ(getPresetVariant(Preset::TorchAdam).str(), "adam.standard+l2");
  EXPECT_EQ(getPresetDefaults(Preset::MXNetAdamW).eps, 1e-6);
  EXPECT_EQ(getPresetDefaults(Preset::TorchAdam).weightDecay, 0.0);
}
