//===- GroupTable.h - the GPU kernels' parameter-group table ----*- C++ -*-===//
//
// A parameter group reaches a GPU kernel as one table in device memory
// instead of one memref descriptor per buffer (which would bound a launch by
// the 4 KiB kernel parameter space). The runtime writes the table; the
// mapping pass (optim-map-elementwise-to-gpu) reads it in the kernel.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_CODEGEN_GROUPTABLE_H
#define OPTIM_CODEGEN_GROUPTABLE_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::optim {

/// Marks the function argument (a memref<?xi64>) that holds the table.
constexpr llvm::StringLiteral kGroupTableAttr = "optim.group_table";
/// Marks a template argument with the table column (an i64 attribute) that
/// holds the address of its buffer for each tensor.
constexpr llvm::StringLiteral kGroupColumnAttr = "optim.group_column";

/// One 64-byte row per tensor, of i64 words: the buffers' addresses in
/// columns 0..kGroupTableMaxColumns-1 (param, grad, exp_avg, exp_avg_sq,
/// max_exp_avg_sq for an optimizer step), the element count in
/// kGroupTableSizeColumn, the tensor's stochastic-rounding stream (its
/// index in the group, added to the step's stream base) in
/// kGroupTableStreamColumn, the rest reserved (zero). A table of tensors
/// with 8-bit moments uses words 4 and 7 for the absmaxes (below).
constexpr int64_t kGroupTableRowWords = 8;
constexpr int64_t kGroupTableMaxColumns = 5;
constexpr int64_t kGroupTableSizeColumn = 5;
constexpr int64_t kGroupTableStreamColumn = 6;

/// A table of tensors with 8-bit moments (which have no max_exp_avg_sq)
/// also holds the addresses of the moments' absmaxes (one f32 per block):
/// exp_avg's in max_exp_avg_sq's column, exp_avg_sq's in the last word.
constexpr int64_t kGroupTableExpAvgAbsmaxColumn = 4;
constexpr int64_t kGroupTableExpAvgSqAbsmaxColumn = 7;

/// Whether word `column` of a row may hold a buffer's address.
constexpr bool isGroupTableAddressColumn(int64_t column) {
  return column >= 0 && column < kGroupTableRowWords &&
         column != kGroupTableSizeColumn && column != kGroupTableStreamColumn;
}

} // namespace mlir::optim

#endif // OPTIM_CODEGEN_GROUPTABLE_H
