//===- GpuTarget.h - The GPU chips optim targets ----------------*- C++ -*-===//
//
// One rule for every entry point that names a GPU target (the NVVM
// pipeline's chip and features, the runtime's StepConfig): a chip LLVM 22's
// NVPTX back end knows, from sm_75 (CUDA 13's ptxas floor), and features
// that are PTX versions it knows. LLVM only warns about an unknown chip
// ("ignoring processor") and writes it into the PTX, which then fails to
// load on the device; an empty chip crashed the NVVM target's verifier.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_SUPPORT_GPUTARGET_H
#define OPTIM_SUPPORT_GPUTARGET_H

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

namespace optim {

/// LLVM 22's NVPTX processors from sm_75 on.
inline constexpr llvm::StringLiteral kGpuChips[] = {
    "sm_75",   "sm_80",   "sm_86",   "sm_87",   "sm_88",   "sm_89",
    "sm_90",   "sm_90a",  "sm_100",  "sm_100a", "sm_100f", "sm_101",
    "sm_101a", "sm_101f", "sm_103",  "sm_103a", "sm_103f", "sm_110",
    "sm_110a", "sm_110f", "sm_120",  "sm_120a", "sm_120f", "sm_121",
    "sm_121a", "sm_121f"};

/// LLVM 22's NVPTX PTX-version features.
inline constexpr llvm::StringLiteral kPtxVersions[] = {
    "ptx32", "ptx40", "ptx41", "ptx42", "ptx43", "ptx50", "ptx60", "ptx61",
    "ptx62", "ptx63", "ptx64", "ptx65", "ptx70", "ptx71", "ptx72", "ptx73",
    "ptx74", "ptx75", "ptx76", "ptx77", "ptx78", "ptx80", "ptx81", "ptx82",
    "ptx83", "ptx84", "ptx85", "ptx86", "ptx87", "ptx88", "ptx90"};

inline bool isKnownGpuChip(llvm::StringRef chip) {
  return llvm::is_contained(kGpuChips, chip);
}

/// An empty list, or comma-separated "+ptxNN" of known versions.
inline bool isKnownGpuFeatureList(llvm::StringRef features) {
  if (features.empty())
    return true;
  llvm::SmallVector<llvm::StringRef> items;
  features.split(items, ',');
  return llvm::all_of(items, [](llvm::StringRef item) {
    return item.consume_front("+") && llvm::is_contained(kPtxVersions, item);
  });
}

} // namespace optim

#endif // OPTIM_SUPPORT_GPUTARGET_H
