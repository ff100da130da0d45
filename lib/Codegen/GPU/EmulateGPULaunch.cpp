//===- EmulateGPULaunch.cpp - run gpu.launch bodies on the host -----------===//
//
// Turns each gpu.launch into loops over its blocks and threads, so that the
// kernels the GPU back end generates run, unchanged, through the host
// lowering: their indexing, tails, alignment branches, group-table walks and
// block reductions are then tested by ordinary CPU execution. Threads run
// one after another between barriers (a barrier ends a phase that every
// thread of the block completes before the next begins), and shared memory
// is one host buffer; that is exact for kernels whose threads interact only
// through barriers, shared memory and atomics, which is all this pass
// accepts. Barriers may sit under scf.for, scf.if and scf.while whose
// operands are block-uniform: pure values of uniform operands, and loads
// of buffers the kernel does not write (a group table).
//
//===----------------------------------------------------------------------===//

#include "optim/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::optim {
#define GEN_PASS_DEF_OPTIMEMULATEGPULAUNCH
#include "optim/Codegen/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;

namespace {

/// The buffer `v` views (through view-like ops), or `v` if not a memref.
Value getViewRoot(Value v) {
  if (auto memref = dyn_cast<MemrefValue>(v))
    return memref::skipViewLikeOps(memref);
  return v;
}

/// The device's correctly rounded sqrt (which the host's math.sqrt
/// replaces): the only NVVM intrinsic the emulation accepts.
bool isPreciseSqrt(StringRef intrinsic) {
  return intrinsic == "llvm.nvvm.sqrt.rn.f" ||
         intrinsic == "llvm.nvvm.sqrt.rn.d";
}
bool isPreciseSqrt(Operation *op) {
  auto call = dyn_cast<LLVM::CallIntrinsicOp>(op);
  return call && isPreciseSqrt(call.getIntrin());
}

/// Why `launch` cannot be emulated exactly, or success. Barriers are
/// accepted under block-uniform control flow only (checked while the body
/// is split, see BlockEmitter).
LogicalResult checkEmulatable(gpu::LaunchOp launch) {
  if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty())
    return launch.emitError("cannot emulate an async gpu.launch");
  if (launch.getDynamicSharedMemorySize())
    return launch.emitError("cannot emulate dynamic shared memory");
  if (launch.hasClusterSize())
    return launch.emitError("cannot emulate thread block clusters");
  if (!launch.getPrivateAttributions().empty())
    return launch.emitError("cannot emulate private memory attributions");
  for (BlockArgument shared : launch.getWorkgroupAttributions())
    if (!cast<MemRefType>(shared.getType()).hasStaticShape())
      return launch.emitError("cannot emulate a dynamically sized workgroup "
                              "attribution");
  if (!launch.getBody().hasOneBlock())
    return launch.emitError("cannot emulate a multi-block kernel body");
  WalkResult result = launch.getBody().walk([&](Operation *op) {
    if (isa<gpu::TerminatorOp, gpu::BlockIdOp, gpu::ThreadIdOp,
            gpu::GridDimOp, gpu::BlockDimOp, gpu::BarrierOp>(op))
      return WalkResult::advance();
    // Shuffles, subgroup ops, async copies: threads would interact within
    // a phase.
    if (isa<gpu::GPUDialect>(op->getDialect())) {
      op->emitError("cannot emulate '")
          << op->getName() << "': threads would interact";
      return WalkResult::interrupt();
    }
    // Device ops spelled otherwise: barriers, shuffles and special
    // registers of NVVM or ROCDL, and inline assembly, mean nothing on the
    // host (and a barrier there would not split the phases).
    StringRef dialect =
        op->getDialect() ? op->getDialect()->getNamespace() : StringRef();
    if (dialect == "nvvm" || dialect == "rocdl" || isa<LLVM::InlineAsmOp>(op)) {
      op->emitError("cannot emulate '") << op->getName() << "' on the host";
      return WalkResult::interrupt();
    }
    if (auto call = dyn_cast<LLVM::CallIntrinsicOp>(op)) {
      StringRef name = call.getIntrin();
      if (name.starts_with("llvm.nvvm.") && !isPreciseSqrt(name)) {
        op->emitError("cannot emulate '") << name << "' on the host";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

SmallVector<Value, 3> getDims(gpu::KernelDim3 dims) {
  return {dims.x, dims.y, dims.z};
}

bool containsBarrier(Operation *op) {
  return op
      ->walk([](gpu::BarrierOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// Emits one block of a launch as phases: the body is cut at its barriers,
/// and each piece between two barriers runs for every thread of the block
/// (a loop over the threads) before the next piece starts, which is what a
/// barrier guarantees. Values a thread computes in one phase and uses in a
/// later one go through a spill slot per thread. Ops that do not depend on
/// the thread (pure ops, loads of buffers the kernel does not write, and
/// barrier-free structured control flow over them, on block-uniform
/// operands) run once, outside the thread loops, so that the loops and
/// branches around barriers, which must be block-uniform, can be emitted
/// once per block.
class BlockEmitter {
public:
  BlockEmitter(IRRewriter &rewriter, gpu::LaunchOp launch,
               ArrayRef<Value> blockSize)
      : rewriter(rewriter), launch(launch), blockSize(blockSize),
        slots(launch.getContext()) {}

  /// Classifies the body (uniform values, phases); fails with a diagnostic
  /// where a barrier sits under thread-dependent control flow.
  LogicalResult analyse() {
    Block &body = launch.getBody().front();
    // The buffers the kernel writes (the roots of their views): a load
    // from any other is the same for every thread when its operands are.
    // Buffers made from distinct addresses are taken not to overlap (the
    // runtime checks that the group's do not); a write to an unknown
    // target makes no load read-only.
    body.walk([&](Operation *op) {
      auto effecting = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effecting) {
        if (!op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
            !isa<gpu::BarrierOp>(op) && !isPreciseSqrt(op))
          unknownWrites = true;
        return;
      }
      SmallVector<MemoryEffects::EffectInstance> effects;
      effecting.getEffects(effects);
      for (const MemoryEffects::EffectInstance &effect : effects) {
        if (!isa<MemoryEffects::Write>(effect.getEffect()))
          continue;
        // A write through an LLVM pointer (or to no named value) could be
        // to any buffer.
        Value target = effect.getValue();
        if (target && isa<BaseMemRefType>(target.getType()))
          written.insert(getViewRoot(target));
        else
          unknownWrites = true;
      }
    });
    for (Value v : getDims(launch.getBlockIds()))
      uniform.insert(v);
    for (Value v : getDims(launch.getGridSize()))
      uniform.insert(v);
    for (Value v : getDims(launch.getBlockSize()))
      uniform.insert(v);
    for (Value v : launch.getWorkgroupAttributions())
      uniform.insert(v);
    return analyse(body);
  }

  /// Emits the block's phases at the rewriter's insertion point; the spill
  /// slots go before `gridLoops`, the loops over the blocks.
  LogicalResult emit(Operation *gridLoops, IRMapping &mapping) {
    slots.setInsertionPoint(gridLoops);
    return emit(launch.getBody().front(), mapping);
  }

private:
  bool isUniform(Value v) {
    Region *defined = v.getParentRegion();
    return !launch.getBody().isAncestor(defined) || uniform.contains(v);
  }

  /// A load from a buffer that no op of the kernel writes (a group table);
  /// uniform when its operands are (isUniformComputation checks them).
  bool isReadOnlyLoad(Operation *op) {
    auto load = dyn_cast<memref::LoadOp>(op);
    return load && !unknownWrites &&
           !written.contains(getViewRoot(load.getMemref()));
  }

  /// Whether `op` computes the same for every thread: its operands are
  /// uniform or defined inside `scope`, and it is pure, a read-only load,
  /// or structured control flow (with no barrier) over such ops. Such ops
  /// run once per block, outside the thread loops.
  bool isUniformComputation(Operation *op, Operation *scope) {
    for (Value v : op->getOperands()) {
      // Defined inside `scope`: its results' ops, its regions' arguments.
      Operation *def = v.getDefiningOp();
      bool inside = def ? def != scope && scope->isAncestor(def)
                        : scope->isAncestor(v.getParentBlock()->getParentOp());
      if (!inside && !isUniform(v))
        return false;
    }
    if (op->getNumRegions() == 0)
      return isMemoryEffectFree(op) || isReadOnlyLoad(op);
    if (!isa<scf::SCFDialect>(op->getDialect()) || containsBarrier(op))
      return false;
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (Operation &inner : block)
          if (!isUniformComputation(&inner, scope))
            return false;
    return true;
  }

  /// Whether `op` runs once per block (see isUniformComputation).
  bool isHoisted(Operation *op) { return uniformOps.contains(op); }

  LogicalResult analyse(Block &block) {
    int phase = nextPhase++;
    for (Operation &op : block.without_terminator()) {
      if (isa<gpu::BarrierOp>(op)) {
        phase = nextPhase++;
        continue;
      }
      if (!containsBarrier(&op)) {
        phaseOf[&op] = phase;
        if (isUniformComputation(&op, &op)) {
          uniformOps.insert(&op);
          uniform.insert(op.getResults().begin(), op.getResults().end());
        }
        continue;
      }
      // Control flow around a barrier: every thread must take it alike.
      bool isWhile = isa<scf::WhileOp>(op);
      if ((op.getNumResults() && !isWhile) ||
          !isa<scf::ForOp, scf::IfOp, scf::WhileOp>(op))
        return op.emitError("cannot emulate a barrier inside '")
               << op.getName() << "' (only scf.for and scf.if without "
               << "results, and scf.while, on block-uniform operands)";
      for (Value operand : op.getOperands())
        if (!isUniform(operand))
          return op.emitError("cannot emulate a barrier under control flow "
                              "that depends on the thread");
      if (auto loop = dyn_cast<scf::ForOp>(op))
        uniform.insert(loop.getInductionVar());
      if (auto loop = dyn_cast<scf::WhileOp>(op)) {
        if (failed(analyseWhile(loop)))
          return failure();
        phase = nextPhase++;
        continue;
      }
      for (Region &region : op.getRegions())
        for (Block &inner : region)
          if (failed(analyse(inner)))
            return failure();
      phase = nextPhase++;
    }
    return success();
  }

  /// A loop around barriers: its condition must be uniform (computed once
  /// per block, before the threads run), and so must what each iteration
  /// passes on.
  LogicalResult analyseWhile(scf::WhileOp loop) {
    Block &before = loop.getBefore().front();
    if (llvm::any_of(before, [](Operation &op) {
          return isa<gpu::BarrierOp>(op) || containsBarrier(&op);
        }))
      return loop.emitError("cannot emulate a barrier in the condition of "
                            "an scf.while");
    uniform.insert(before.getArguments().begin(), before.getArguments().end());
    for (Operation &op : before) {
      if (!isUniformComputation(&op, &op))
        return op.emitError("cannot emulate a barrier under an scf.while "
                            "whose condition depends on the thread");
      uniform.insert(op.getResults().begin(), op.getResults().end());
    }
    Block &after = loop.getAfter().front();
    uniform.insert(after.getArguments().begin(), after.getArguments().end());
    uniform.insert(loop.getResults().begin(), loop.getResults().end());
    if (failed(analyse(after)))
      return failure();
    for (Value v : after.getTerminator()->getOperands())
      if (!isUniform(v))
        return loop.emitError("cannot emulate a barrier inside an scf.while "
                              "that carries values of a thread");
    return success();
  }

  /// The phase of the op of the body that holds `op` (nested or not).
  int phaseHolding(Operation *op) {
    for (; op; op = op->getParentOp())
      if (auto it = phaseOf.find(op); it != phaseOf.end())
        return it->second;
    return -1;
  }

  LogicalResult emit(Block &block, IRMapping &mapping) {
    SmallVector<Operation *> phase;
    for (Operation &op : block.without_terminator()) {
      if (isa<gpu::BarrierOp>(op)) {
        emitPhase(phase, mapping);
        continue;
      }
      if (!containsBarrier(&op)) {
        if (isHoisted(&op))
          rewriter.clone(op, mapping);
        else
          phase.push_back(&op);
        continue;
      }
      emitPhase(phase, mapping);
      if (failed(emitUniformControl(op, mapping)))
        return failure();
    }
    emitPhase(phase, mapping);
    return success();
  }

  LogicalResult emitUniformControl(Operation &op, IRMapping &mapping) {
    Location loc = op.getLoc();
    if (auto loop = dyn_cast<scf::WhileOp>(op)) {
      auto clone = scf::WhileOp::create(
          rewriter, loc, loop.getResultTypes(),
          llvm::map_to_vector(loop.getInits(), [&](Value v) {
            return mapping.lookupOrDefault(v);
          }));
      OpBuilder::InsertionGuard guard(rewriter);
      auto cloneBlock = [&](Block &from, Region &to) {
        SmallVector<Location> locs(from.getNumArguments(), loc);
        Block *block =
            rewriter.createBlock(&to, {}, from.getArgumentTypes(), locs);
        for (auto [a, b] :
             llvm::zip(from.getArguments(), block->getArguments()))
          mapping.map(a, b);
      };
      cloneBlock(loop.getBefore().front(), clone.getBefore());
      for (Operation &inner : loop.getBefore().front())
        rewriter.clone(inner, mapping);
      cloneBlock(loop.getAfter().front(), clone.getAfter());
      if (failed(emit(loop.getAfter().front(), mapping)))
        return failure();
      rewriter.clone(*loop.getAfter().front().getTerminator(), mapping);
      for (auto [a, b] : llvm::zip(loop.getResults(), clone.getResults()))
        mapping.map(a, b);
      return success();
    }
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      auto clone = scf::ForOp::create(
          rewriter, loc, mapping.lookupOrDefault(loop.getLowerBound()),
          mapping.lookupOrDefault(loop.getUpperBound()),
          mapping.lookupOrDefault(loop.getStep()));
      mapping.map(loop.getInductionVar(), clone.getInductionVar());
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(clone.getBody()->getTerminator());
      return emit(*loop.getBody(), mapping);
    }
    auto branch = cast<scf::IfOp>(op);
    bool hasElse = !branch.getElseRegion().empty();
    auto clone =
        scf::IfOp::create(rewriter, loc, TypeRange{},
                          mapping.lookupOrDefault(branch.getCondition()),
                          hasElse);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(clone.thenBlock()->getTerminator());
    if (failed(emit(*branch.thenBlock(), mapping)))
      return failure();
    if (!hasElse)
      return success();
    rewriter.setInsertionPoint(clone.elseBlock()->getTerminator());
    return emit(*branch.elseBlock(), mapping);
  }

  /// The slot that carries `value` from its phase to later ones: one
  /// element per thread of the block.
  Value getSlot(Value value) {
    Value &slot = spillSlots[value];
    if (!slot) {
      Location loc = value.getLoc();
      if (!threads) {
        threads = arith::MulIOp::create(
            slots, loc,
            arith::MulIOp::create(slots, loc, blockSize[0], blockSize[1]),
            blockSize[2]);
      }
      slot = memref::AllocaOp::create(
          slots, loc, MemRefType::get({ShapedType::kDynamic}, value.getType()),
          ValueRange{threads});
    }
    return slot;
  }

  /// One phase: the thread loops (z, y, x) around `ops`, cloned.
  void emitPhase(SmallVector<Operation *> &ops, IRMapping &uniformMapping) {
    if (ops.empty())
      return;
    Location loc = launch.getLoc();
    OpBuilder::InsertionGuard guard(rewriter);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<Value, 3> thread(3);
    for (int d = 2; d >= 0; --d) {
      auto loop = scf::ForOp::create(rewriter, loc, zero, blockSize[d], one);
      thread[d] = loop.getInductionVar();
      rewriter.setInsertionPoint(loop.getBody()->getTerminator());
    }
    // The thread's slot index, built on first use.
    Value linear;
    auto getLinear = [&] {
      if (linear)
        return linear;
      OpBuilder::InsertionGuard atStart(rewriter);
      rewriter.setInsertionPointToStart(rewriter.getInsertionBlock());
      Value row = arith::AddIOp::create(
          rewriter, loc,
          arith::MulIOp::create(rewriter, loc, thread[2], blockSize[1]),
          thread[1]);
      linear = arith::AddIOp::create(
          rewriter, loc, arith::MulIOp::create(rewriter, loc, row, blockSize[0]),
          thread[0]);
      return linear;
    };
    IRMapping mapping = uniformMapping;
    for (auto [arg, iv] : llvm::zip(getDims(launch.getThreadIds()), thread))
      mapping.map(arg, iv);
    int phase = phaseOf.lookup(ops.front());
    for (Operation *op : ops) {
      // Values of this thread from earlier phases: reload them.
      op->walk([&](Operation *inner) {
        for (Value v : inner->getOperands()) {
          if (mapping.contains(v) || isUniform(v))
            continue;
          Operation *def = v.getDefiningOp();
          Operation *owner = def ? def : v.getParentBlock()->getParentOp();
          // Defined inside `op` (its own region arguments included).
          if (op->isAncestor(owner))
            continue;
          mapping.map(v, memref::LoadOp::create(rewriter, loc, getSlot(v),
                                                ValueRange{getLinear()}));
        }
      });
      Operation *clone = rewriter.clone(*op, mapping);
      // Results some later phase uses: spill them.
      for (auto [result, cloned] :
           llvm::zip(op->getResults(), clone->getResults())) {
        bool usedLater = llvm::any_of(result.getUsers(), [&](Operation *u) {
          return phaseHolding(u) != phase;
        });
        if (usedLater)
          memref::StoreOp::create(rewriter, loc, cloned, getSlot(result),
                                  ValueRange{getLinear()});
      }
    }
    ops.clear();
  }

  IRRewriter &rewriter;
  gpu::LaunchOp launch;
  ArrayRef<Value> blockSize;
  OpBuilder slots;
  llvm::DenseSet<Value> uniform;
  llvm::DenseSet<Operation *> uniformOps;
  llvm::DenseSet<Value> written;
  bool unknownWrites = false;
  llvm::DenseMap<Operation *, int> phaseOf;
  llvm::DenseMap<Value, Value> spillSlots;
  Value threads; // Of the block, for the slots.
  int nextPhase = 0;
};

LogicalResult emulate(gpu::LaunchOp launch, int64_t blocksOverride,
                      int64_t threadsOverride) {
  IRRewriter rewriter(launch);
  Location loc = launch.getLoc();
  Block &body = launch.getBody().front();
  // The id and size ops become the region's arguments, which the
  // emulation replaces.
  body.walk([&](Operation *op) {
    auto dimension = [](auto id) {
      return static_cast<unsigned>(id.getDimension());
    };
    Value value;
    if (auto id = dyn_cast<gpu::BlockIdOp>(op))
      value = getDims(launch.getBlockIds())[dimension(id)];
    else if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
      value = getDims(launch.getThreadIds())[dimension(id)];
    else if (auto dim = dyn_cast<gpu::GridDimOp>(op))
      value = getDims(launch.getGridSize())[dimension(dim)];
    else if (auto dim = dyn_cast<gpu::BlockDimOp>(op))
      value = getDims(launch.getBlockSize())[dimension(dim)];
    if (value)
      rewriter.replaceOp(op, value);
  });

  rewriter.setInsertionPoint(launch);
  SmallVector<Value, 3> grid = {launch.getGridSizeX(), launch.getGridSizeY(),
                                launch.getGridSizeZ()};
  SmallVector<Value, 3> blockSize = {launch.getBlockSizeX(),
                                     launch.getBlockSizeY(),
                                     launch.getBlockSizeZ()};
  if (blocksOverride > 0)
    grid[0] = arith::ConstantIndexOp::create(rewriter, loc, blocksOverride);
  if (threadsOverride > 0)
    blockSize[0] =
        arith::ConstantIndexOp::create(rewriter, loc, threadsOverride);
  BlockEmitter emitter(rewriter, launch, blockSize);
  if (failed(emitter.analyse()))
    return failure();

  // Shared memory: one buffer, reused by the blocks, which run in turn.
  IRMapping mapping;
  for (BlockArgument shared : launch.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(shared.getType());
    mapping.map(shared,
                memref::AllocaOp::create(
                    rewriter, loc,
                    MemRefType::get(type.getShape(), type.getElementType())));
  }
  // Grid z, y, x outside; inside, the block's phases, each a loop over the
  // block's z, y, x: thread x varies fastest, as consecutive lanes do on
  // the device.
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value, 3> block(3);
  Operation *gridLoops = nullptr;
  for (int d = 2; d >= 0; --d) {
    auto loop = scf::ForOp::create(rewriter, loc, zero, grid[d], one);
    if (!gridLoops)
      gridLoops = loop;
    block[d] = loop.getInductionVar();
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  }
  for (int d = 0; d < 3; ++d) {
    mapping.map(getDims(launch.getBlockIds())[d], block[d]);
    mapping.map(getDims(launch.getGridSize())[d], grid[d]);
    mapping.map(getDims(launch.getBlockSize())[d], blockSize[d]);
  }
  if (failed(emitter.emit(gridLoops, mapping)))
    return failure();
  rewriter.eraseOp(launch);
  return success();
}

/// Device allocations around the launches (a reduction's per-block sums)
/// are host allocations: on the host every memory is the host's.
LogicalResult replaceDeviceAllocations(Operation *root) {
  IRRewriter rewriter(root->getContext());
  WalkResult result = root->walk([&](Operation *op) {
    if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
      if (alloc.getAsyncToken()) {
        alloc.emitError("cannot emulate an async gpu.alloc");
        return WalkResult::interrupt();
      }
      rewriter.setInsertionPoint(alloc);
      rewriter.replaceOpWithNewOp<memref::AllocOp>(
          alloc, alloc.getMemref().getType(), alloc.getDynamicSizes(),
          alloc.getSymbolOperands());
    } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
      if (dealloc.getAsyncToken()) {
        dealloc.emitError("cannot emulate an async gpu.dealloc");
        return WalkResult::interrupt();
      }
      rewriter.setInsertionPoint(dealloc);
      rewriter.replaceOpWithNewOp<memref::DeallocOp>(dealloc,
                                                     dealloc.getMemref());
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// llvm.nvvm.sqrt.rn.{f,d} -> math.sqrt (both correctly rounded).
void replaceDeviceIntrinsics(Operation *root) {
  IRRewriter rewriter(root->getContext());
  root->walk([&](LLVM::CallIntrinsicOp call) {
    if (!isPreciseSqrt(call))
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
      if (failed(emulate(launch, blocks, threads)))
        return signalPassFailure();
    replaceDeviceIntrinsics(getOperation());
    if (failed(replaceDeviceAllocations(getOperation())))
      return signalPassFailure();
  }
};

} // namespace
