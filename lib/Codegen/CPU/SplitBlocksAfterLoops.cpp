//===- SplitBlocksAfterLoops.cpp - linear-time scf-to-cf ------------------===//
//
// convert-scf-to-cf splits a loop's block after the loop, moving the rest of
// the block: over a block of N loop nests that is O(N^2) op moves. Splitting
// the blocks here first, last loop first, moves each op once.
//
//===----------------------------------------------------------------------===//

#include "optim/Codegen/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::optim {
#define GEN_PASS_DEF_OPTIMSPLITBLOCKSAFTERLOOPS
#include "optim/Codegen/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;

namespace {

struct SplitBlocksAfterLoops
    : public optim::impl::OptimSplitBlocksAfterLoopsBase<
          SplitBlocksAfterLoops> {
  void runOnOperation() override {
    OpBuilder builder(&getContext());
    // The blocks as they are now: the splits below add blocks after each.
    SmallVector<Block *> blocks;
    for (Block &block : getOperation().getBody())
      blocks.push_back(&block);
    for (Block *block : blocks) {
      SmallVector<Operation *> loops;
      for (Operation &op : *block)
        if (isa<scf::ForOp, scf::ForallOp, scf::ParallelOp, scf::WhileOp,
                scf::IfOp>(op) &&
            op.getNextNode() &&
            !op.getNextNode()->hasTrait<OpTrait::IsTerminator>())
          loops.push_back(&op);
      // Last first: each split moves only the ops up to the previous one.
      for (Operation *loop : llvm::reverse(loops)) {
        Block *rest = block->splitBlock(loop->getNextNode());
        builder.setInsertionPointToEnd(block);
        cf::BranchOp::create(builder, loop->getLoc(), rest);
      }
    }
  }
};

} // namespace
