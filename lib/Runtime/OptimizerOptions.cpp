//===- OptimizerOptions.cpp - typed construction of optimizers ------------===//

#include "optim/Runtime/OptimizerOptions.h"

using namespace ::optim;

OptimizerOptions::OptimizerOptions(Preset preset)
    : preset(preset), scalars(StepScalars::forPreset(preset)) {}

StepConfig OptimizerOptions::getConfig() const {
  StepConfig config =
      StepConfig::forPreset(preset, elementType, presetOptions);
  config.fastMath = fast;
  config.variant.clipGradNorm = clipNorm;
  config.variant.stochasticRounding = rounding;
  config.momentStorage = moments;
  return config;
}
