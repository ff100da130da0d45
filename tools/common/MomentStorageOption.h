//===- MomentStorageOption.h - the tools' --moments values -----*- C++ -*-===//
//
// One spelling of MomentStorage for every tool's --moments: the enum's own
// names, as the C API (OptimMomentStorage*) spells them.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_TOOLS_COMMON_MOMENTSTORAGEOPTION_H
#define OPTIM_TOOLS_COMMON_MOMENTSTORAGEOPTION_H

#include "optim/Runtime/StepConfig.h"

#include "llvm/Support/CommandLine.h"

namespace optim::tools {

/// The description of a --moments option.
inline constexpr const char *kMomentStorageDesc =
    "How exp_avg, exp_avg_sq and (AMSGrad) max_exp_avg_sq are stored";

/// The values of a --moments option.
inline auto momentStorageValues() {
  return llvm::cl::values(
      clEnumValN(MomentStorage::compute, "compute",
                 "The compute type (f32; f64 for f64 parameters)"),
      clEnumValN(MomentStorage::bf16, "bf16",
                 "bf16, rounded to nearest even (half the f32 state)"),
      clEnumValN(MomentStorage::blockwise8, "blockwise8",
                 "8-bit blockwise codes with an f32 absmax per 256 elements "
                 "(about a quarter; tensors under 4096 elements keep f32, "
                 "no AMSGrad)"));
}

} // namespace optim::tools

#endif // OPTIM_TOOLS_COMMON_MOMENTSTORAGEOPTION_H
