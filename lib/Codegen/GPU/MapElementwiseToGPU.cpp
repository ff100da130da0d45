//===- MapElementwiseToGPU.cpp - one fused kernel per optimizer step ------===//
//
// Maps the element-wise linalg.generic ops of one optimizer step (one per
// parameter, consecutive in a block) to a single gpu.launch:
//   - every thread walks every parameter with a grid-stride loop, so a group
//     of hundreds of tensors is one launch and the grid size is bounded;
//   - when every buffer of a parameter is 16-byte aligned, the loop moves
//     whole 16-byte vectors (vector.load/store with the alignment stated, so
//     the backend emits ld.global.v4.f32); the remainder, and parameters
//     whose buffers are not aligned, take a scalar loop;
//   - with precise math, sqrt is llvm.sqrt (sqrt.rn in PTX) rather than
//     libdevice's __nv_sqrtf, which lowers to sqrt.approx; division stays
//     div.rn. GPU results then round like the CPU's.
//
//===----------------------------------------------------------------------===//

#include "optim/Codegen/Passes.h"

#include "optim/Codegen/Elementwise.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::optim {
#define GEN_PASS_DEF_OPTIMMAPELEMENTWISETOGPU
#include "optim/Codegen/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;

namespace {

/// sqrt.rn.f32 through the NVVM intrinsic: convert-gpu-to-nvvm would turn
/// math.sqrt (and llvm.sqrt) into libdevice's __nv_sqrtf, which compiles to
/// sqrt.approx.f32. Vectors are done lane by lane (PTX has no vector sqrt).
Operation *emitPreciseSqrt(OpBuilder &b, Location loc, Value x) {
  StringAttr intrinsic = b.getStringAttr("llvm.nvvm.sqrt.rn.f");
  Type f32 = b.getF32Type();
  auto vectorType = dyn_cast<VectorType>(x.getType());
  if (!vectorType)
    return LLVM::CallIntrinsicOp::create(b, loc, f32, intrinsic, x);
  SmallVector<Value> lanes;
  for (int64_t i = 0; i < vectorType.getNumElements(); ++i) {
    Value lane = vector::ExtractOp::create(b, loc, x, i);
    lanes.push_back(LLVM::CallIntrinsicOp::create(b, loc, f32, intrinsic, lane)
                        .getResult(0));
  }
  return vector::FromElementsOp::create(b, loc, vectorType, lanes);
}

/// Clones the body of `op` for one element (`width` = 0) or one vector of
/// `width` elements, reading and writing at `index`.
void emitBody(OpBuilder &b, Location loc, linalg::GenericOp op, Value index,
              int64_t width, unsigned alignment, bool preciseMath) {
  IRMapping mapping;
  Block *body = op.getBody();
  for (auto [operand, arg] :
       llvm::zip(op->getOperands(), body->getArguments())) {
    Type element = cast<MemRefType>(operand.getType()).getElementType();
    Value loaded;
    if (width) {
      auto load = vector::LoadOp::create(
          b, loc, VectorType::get({width}, element), operand, index);
      load.setAlignment(alignment);
      loaded = load;
    } else {
      loaded = memref::LoadOp::create(b, loc, operand, index);
    }
    mapping.map(arg, loaded);
  }
  auto lookup = [&](Value v) -> Value {
    if (Value mapped = mapping.lookupOrNull(v))
      return mapped;
    // A value from outside the body (a per-step coefficient): uniform.
    if (!width)
      return v;
    Value splat = vector::BroadcastOp::create(
        b, loc, VectorType::get({width}, v.getType()), v);
    mapping.map(v, splat);
    return splat;
  };
  for (Operation &inner : body->without_terminator()) {
    SmallVector<Value> operands =
        llvm::map_to_vector(inner.getOperands(), lookup);
    SmallVector<Type> types;
    for (Type t : inner.getResultTypes())
      types.push_back(width ? VectorType::get({width}, t) : t);
    Operation *clone;
    if (preciseMath && isa<math::SqrtOp>(inner) &&
        getElementTypeOrSelf(types[0]).isF32()) {
      clone = emitPreciseSqrt(b, loc, operands[0]);
    } else {
      OperationState state(loc, inner.getName(), operands, types,
                           inner.getAttrs());
      clone = b.create(state);
    }
    mapping.map(inner.getResults(), clone->getResults());
  }
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  for (auto [value, init] : llvm::zip(yield.getValues(), op.getDpsInits())) {
    Value stored = lookup(value);
    if (width) {
      auto store = vector::StoreOp::create(b, loc, stored, init, index);
      store.setAlignment(alignment);
    } else {
      memref::StoreOp::create(b, loc, stored, init, index);
    }
  }
}

struct OptimMapElementwiseToGPUPass
    : optim::impl::OptimMapElementwiseToGPUBase<OptimMapElementwiseToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    // Runs of candidate generics separated only by side-effect-free ops
    // (the collapse_shape of the next parameter): one step each.
    SmallVector<SmallVector<linalg::GenericOp>> runs;
    getOperation().walk([&](Block *block) {
      SmallVector<linalg::GenericOp> run;
      for (Operation &op : *block) {
        if (auto generic = dyn_cast<linalg::GenericOp>(op);
            generic && optim::isFlatElementwiseGeneric(generic)) {
          run.push_back(generic);
          continue;
        }
        if (isMemoryEffectFree(&op) && op.getNumRegions() == 0)
          continue;
        if (!run.empty())
          runs.push_back(std::move(run));
        run.clear();
      }
      if (!run.empty())
        runs.push_back(std::move(run));
    });
    for (auto &run : runs)
      mapRun(run);
    WalkResult left = getOperation().walk([](linalg::GenericOp op) {
      op.emitError("cannot be mapped to the GPU: only 1-d element-wise "
                   "generics on contiguous buffers are supported");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }

  void mapRun(ArrayRef<linalg::GenericOp> run) {
    linalg::GenericOp last = run.back();
    Location loc = last.getLoc();
    OpBuilder b(last);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);

    // Grid: enough blocks for the largest parameter, at most maxBlocks; the
    // loops stride over whatever is left.
    Value maxElements = zero;
    for (linalg::GenericOp op : run) {
      Value n = memref::DimOp::create(b, loc, op.getDpsInits()[0], 0);
      maxElements = arith::MaxUIOp::create(b, loc, maxElements, n);
    }
    Value perBlock = arith::ConstantIndexOp::create(b, loc, blockSize * 4);
    Value blocks = arith::CeilDivUIOp::create(b, loc, maxElements, perBlock);
    blocks = arith::MaxUIOp::create(b, loc, blocks, one);
    blocks = arith::MinUIOp::create(
        b, loc, blocks, arith::ConstantIndexOp::create(b, loc, maxBlocks));
    Value threads = arith::ConstantIndexOp::create(b, loc, blockSize);
    auto launch =
        gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one, one);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value tid = arith::AddIOp::create(
        kb, loc,
        arith::MulIOp::create(kb, loc, launch.getBlockIds().x,
                              launch.getBlockSize().x),
        launch.getThreadIds().x);
    Value stride = arith::MulIOp::create(kb, loc, launch.getGridSize().x,
                                         launch.getBlockSize().x);

    for (linalg::GenericOp op : run) {
      unsigned widest = 0;
      for (Value v : op->getOperands())
        widest = std::max<unsigned>(
            widest, cast<MemRefType>(v.getType()).getElementTypeBitWidth() / 8);
      int64_t width = std::max<int64_t>(1, vectorBytes / widest);
      Value kZero = arith::ConstantIndexOp::create(kb, loc, 0);
      Value n = memref::DimOp::create(kb, loc, op.getDpsInits()[0], 0);

      // Vectors only when every buffer (base + offset) is aligned.
      Value aligned = arith::ConstantIntOp::create(kb, loc, 1, 1);
      Value alignmentValue =
          arith::ConstantIndexOp::create(kb, loc, vectorBytes);
      for (Value v : op->getOperands()) {
        auto metadata = memref::ExtractStridedMetadataOp::create(kb, loc, v);
        Value base = memref::ExtractAlignedPointerAsIndexOp::create(kb, loc, v);
        unsigned bytes =
            cast<MemRefType>(v.getType()).getElementTypeBitWidth() / 8;
        Value offsetBytes = arith::MulIOp::create(
            kb, loc, metadata.getOffset(),
            arith::ConstantIndexOp::create(kb, loc, bytes));
        Value address = arith::AddIOp::create(kb, loc, base, offsetBytes);
        Value rem = arith::RemUIOp::create(kb, loc, address, alignmentValue);
        Value ok = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::eq, rem,
                                         kZero);
        aligned = arith::AndIOp::create(kb, loc, aligned, ok);
      }
      Value widthValue = arith::ConstantIndexOp::create(kb, loc, width);
      Value vectors = arith::DivUIOp::create(kb, loc, n, widthValue);
      vectors = arith::SelectOp::create(kb, loc, aligned, vectors, kZero);
      if (width > 1) {
        auto vectorLoop = scf::ForOp::create(kb, loc, tid, vectors, stride);
        OpBuilder vb = OpBuilder::atBlockBegin(vectorLoop.getBody());
        Value index = arith::MulIOp::create(
            vb, loc, vectorLoop.getInductionVar(), widthValue);
        emitBody(vb, loc, op, index, width, vectorBytes, preciseMath);
      }
      Value scalarStart = arith::AddIOp::create(
          kb, loc, arith::MulIOp::create(kb, loc, vectors, widthValue), tid);
      if (width == 1)
        scalarStart = tid;
      auto scalarLoop = scf::ForOp::create(kb, loc, scalarStart, n, stride);
      OpBuilder sb = OpBuilder::atBlockBegin(scalarLoop.getBody());
      emitBody(sb, loc, op, scalarLoop.getInductionVar(), /*width=*/0,
               vectorBytes, preciseMath);
    }
    gpu::TerminatorOp::create(kb, loc);
    for (linalg::GenericOp op : run)
      op->erase();
  }
};

} // namespace
