//===- EmulateGPULaunch.cpp - run gpu.launch bodies on the host -----------===//
//
// Turns each gpu.launch into loops over its blocks and threads, so that the
// kernels the GPU back end generates run, unchanged, through the host
// lowering: their indexing, tails, alignment branches and group-table walks
// are then tested by ordinary CPU execution. Threads run one after another;
// that is exact for kernels whose threads neither synchronise nor share
// memory, which is all this pass accepts.
//
//===----------------------------------------------------------------------===//

#include "optim/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::optim {
#define GEN_PASS_DEF_OPTIMEMULATEGPULAUNCH
#include "optim/Codegen/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;

namespace {

/// Why `launch` cannot be emulated exactly, or success.
LogicalResult checkEmulatable(gpu::LaunchOp launch) {
  if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty())
    return launch.emitError("cannot emulate an async gpu.launch");
  if (launch.getDynamicSharedMemorySize())
    return launch.emitError("cannot emulate dynamic shared memory");
  if (launch.hasClusterSize())
    return launch.emitError("cannot emulate thread block clusters");
  if (!launch.getWorkgroupAttributions().empty() ||
      !launch.getPrivateAttributions().empty())
    return launch.emitError("cannot emulate memory attributions");
  if (!launch.getBody().hasOneBlock())
    return launch.emitError("cannot emulate a multi-block kernel body");
  WalkResult result = launch.getBody().walk([&](Operation *op) {
    if (isa<gpu::TerminatorOp, gpu::BlockIdOp, gpu::ThreadIdOp,
            gpu::GridDimOp, gpu::BlockDimOp>(op))
      return WalkResult::advance();
    // Barriers, shuffles, shared memory, subgroups: threads would interact.
    if (isa<gpu::GPUDialect>(op->getDialect())) {
      op->emitError("cannot emulate '")
          << op->getName() << "': threads would interact";
      return WalkResult::interrupt();
    }
    if (auto call = dyn_cast<LLVM::CallIntrinsicOp>(op)) {
      StringRef name = call.getIntrin();
      if (name.starts_with("llvm.nvvm.") && name != "llvm.nvvm.sqrt.rn.f" &&
          name != "llvm.nvvm.sqrt.rn.d") {
        op->emitError("cannot emulate '") << name << "' on the host";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// The ids and sizes of one thread of the emulated launch.
struct ThreadCoordinates {
  SmallVector<Value, 3> block, thread, grid, blockSize;

  Value get(gpu::Dimension dim, ArrayRef<Value> values) const {
    return values[static_cast<unsigned>(dim)];
  }
};

void emulate(gpu::LaunchOp launch, int64_t blocksOverride,
             int64_t threadsOverride) {
  IRRewriter rewriter(launch);
  Location loc = launch.getLoc();
  rewriter.setInsertionPoint(launch);
  ThreadCoordinates at;
  at.grid = {launch.getGridSizeX(), launch.getGridSizeY(),
             launch.getGridSizeZ()};
  at.blockSize = {launch.getBlockSizeX(), launch.getBlockSizeY(),
                  launch.getBlockSizeZ()};
  if (blocksOverride > 0)
    at.grid[0] = arith::ConstantIndexOp::create(rewriter, loc, blocksOverride);
  if (threadsOverride > 0)
    at.blockSize[0] =
        arith::ConstantIndexOp::create(rewriter, loc, threadsOverride);

  // Grid z, y, x outside, then the block's z, y, x: thread x varies fastest,
  // as consecutive lanes do on the device.
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value, 3> blockIvs(3), threadIvs(3);
  auto nest = [&](Value upper, Value &iv) {
    auto loop = scf::ForOp::create(rewriter, loc, zero, upper, one);
    iv = loop.getInductionVar();
    rewriter.setInsertionPointToStart(loop.getBody());
  };
  for (int d = 2; d >= 0; --d)
    nest(at.grid[d], blockIvs[d]);
  for (int d = 2; d >= 0; --d)
    nest(at.blockSize[d], threadIvs[d]);
  at.block.assign(blockIvs.begin(), blockIvs.end());
  at.thread.assign(threadIvs.begin(), threadIvs.end());

  // The body's region arguments and id ops become the loop coordinates.
  Block &body = launch.getBody().front();
  SmallVector<Value> replacements;
  llvm::append_range(replacements, at.block);
  llvm::append_range(replacements, at.thread);
  llvm::append_range(replacements, at.grid);
  llvm::append_range(replacements, at.blockSize);
  body.walk([&](Operation *op) {
    Value value;
    if (auto id = dyn_cast<gpu::BlockIdOp>(op))
      value = at.get(id.getDimension(), at.block);
    else if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
      value = at.get(id.getDimension(), at.thread);
    else if (auto dim = dyn_cast<gpu::GridDimOp>(op))
      value = at.get(dim.getDimension(), at.grid);
    else if (auto dim = dyn_cast<gpu::BlockDimOp>(op))
      value = at.get(dim.getDimension(), at.blockSize);
    if (value)
      rewriter.replaceOp(op, value);
  });
  rewriter.eraseOp(body.getTerminator());
  rewriter.inlineBlockBefore(&body, rewriter.getInsertionBlock(),
                             rewriter.getInsertionPoint(),
                             ArrayRef(replacements)
                                 .take_front(body.getNumArguments()));
  rewriter.eraseOp(launch);
}

/// llvm.nvvm.sqrt.rn.{f,d} -> math.sqrt (both correctly rounded).
void replaceDeviceIntrinsics(Operation *root) {
  IRRewriter rewriter(root->getContext());
  root->walk([&](LLVM::CallIntrinsicOp call) {
    StringRef name = call.getIntrin();
    if (name != "llvm.nvvm.sqrt.rn.f" && name != "llvm.nvvm.sqrt.rn.d")
      return;
    rewriter.setInsertionPoint(call);
    rewriter.replaceOpWithNewOp<math::SqrtOp>(call, call.getArgs().front());
  });
}

struct OptimEmulateGPULaunchPass
    : optim::impl::OptimEmulateGPULaunchBase<OptimEmulateGPULaunchPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blocks < 0 || threads < 0) {
      getOperation().emitError("optim-emulate-gpu-launch: blocks and threads "
                               "must be non-negative");
      return signalPassFailure();
    }
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp launch) {
      launches.push_back(launch);
    });
    for (gpu::LaunchOp launch : launches)
      if (failed(checkEmulatable(launch)))
        return signalPassFailure();
    for (gpu::LaunchOp launch : launches)
      emulate(launch, blocks, threads);
    replaceDeviceIntrinsics(getOperation());
  }
};

} // namespace
