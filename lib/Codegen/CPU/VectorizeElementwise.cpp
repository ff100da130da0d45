//===- VectorizeElementwise.cpp - tile, parallelise, vectorise ------------===//
//
// The CPU schedule for the element-wise linalg.generic ops that optim steps
// lower to; the same steps as the transform-dialect sequence
//   tile_using_forall [chunk] -> tile_using_for [V] -> loop.peel -> vectorize
//   [V]
// driven from C++ so that it needs no transform script in the payload:
//   - scf.forall over chunks of `chunk-size` elements: the unit of work a
//     thread takes (scf-forall-to-parallel + convert-scf-to-openmp later);
//   - scf.for over vector tiles, peeled so that the main loop works on full
//     vectors and a single partial tail iteration is left;
//   - the linalg vectoriser with vector size V: the main loop's masks fold
//     away (its tile size is the constant V), the tail keeps one mask.
//
//===----------------------------------------------------------------------===//

#include "optim/Codegen/Passes.h"

#include "ScheduleOptions.h"
#include "optim/Codegen/Elementwise.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::optim {
#define GEN_PASS_DEF_OPTIMVECTORIZEELEMENTWISE
#include "optim/Codegen/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;

namespace {

/// Tiles `op` with one tile size; returns the tiled op and the loop.
FailureOr<std::pair<linalg::GenericOp, Operation *>>
tile(RewriterBase &rewriter, linalg::GenericOp op, int64_t size,
     scf::SCFTilingOptions::LoopType loopType) {
  scf::SCFTilingOptions options;
  options.setTileSizes({rewriter.getIndexAttr(size)});
  options.setLoopType(loopType);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->loops.empty())
    return failure();
  rewriter.eraseOp(op);
  auto tiledOp = dyn_cast<linalg::GenericOp>(tiled->tiledOps.back());
  if (!tiledOp)
    return failure();
  return std::make_pair(tiledOp, tiled->loops.front().getOperation());
}

/// Greedy canonicalisation with every loaded op's patterns, as the
/// canonicalize pass would run; it makes the peeled tiles' shapes static.
LogicalResult canonicalize(Operation *root) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsGreedily(root, std::move(patterns));
}

/// A 1-d reduction over a static block of at most kMaxBlock elements of a
/// quantised tensor: the per-block absmax of 8-bit moments.
bool isBlockReduction(linalg::GenericOp op) {
  constexpr int64_t kMaxBlock = 1024;
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != 1 ||
      op.getNumReductionLoops() != 1 ||
      !op->hasAttr(mlir::optim::kQuantBlockAttr))
    return false;
  int64_t size = op.getStaticLoopRanges()[0];
  return !ShapedType::isDynamic(size) && size <= kMaxBlock;
}

/// Table lookups (the code tables of 8-bit moments) are tensor.extract ops
/// on a `bufferization.to_tensor` view of a constant global, so that the
/// vectoriser makes gathers of them; afterwards every such gather, and any
/// lookup left scalar, reads the global itself. Views of other memrefs are
/// left alone: a store between the view and the read would show through.
LogicalResult readTablesFromBuffers(Operation *root) {
  auto bufferOf = [](Value v) -> Value {
    auto view = v.getDefiningOp<bufferization::ToTensorOp>();
    auto get =
        view ? view.getBuffer().getDefiningOp<memref::GetGlobalOp>() : nullptr;
    auto global = get ? SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
                            get, get.getNameAttr())
                      : nullptr;
    return global && global.getConstant() ? view.getBuffer() : Value();
  };
  IRRewriter rewriter(root->getContext());
  root->walk([&](Operation *op) {
    if (auto gather = dyn_cast<vector::GatherOp>(op)) {
      if (Value buffer = bufferOf(gather.getBase()))
        rewriter.modifyOpInPlace(
            gather, [&] { gather.getBaseMutable().assign(buffer); });
    } else if (auto read = dyn_cast<vector::TransferReadOp>(op)) {
      if (Value buffer = bufferOf(read.getBase()))
        rewriter.modifyOpInPlace(
            read, [&] { read.getBaseMutable().assign(buffer); });
    } else if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
      if (Value buffer = bufferOf(extract.getTensor())) {
        rewriter.setInsertionPoint(extract);
        rewriter.replaceOpWithNewOp<memref::LoadOp>(extract, buffer,
                                                    extract.getIndices());
      }
    }
  });
  return canonicalize(root);
}

/// The values of the constant f32 table that `buffer` is, if it is a
/// memref.get_global of a constant global of at most 256 elements.
std::optional<SmallVector<float>> getConstantTable(Value buffer) {
  auto get = buffer.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return std::nullopt;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  if (!global || !global.getConstant())
    return std::nullopt;
  auto init = dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
  if (!init || !init.getElementType().isF32() || init.getNumElements() < 1 ||
      init.getNumElements() > 256)
    return std::nullopt;
  return llvm::to_vector(init.getValues<float>());
}

/// A 16-lane gather from a constant table of at most 256 f32 as AVX-512
/// permutes of the table held in registers: vpermps (16 entries, the index's
/// low 4 bits), or one vpermi2ps per 32 entries (5 bits) and a select tree
/// over the higher bits. Lanes the gather (or its vector.mask) leaves off
/// take the pass-through value; their indices may be anything.
LogicalResult lowerGatherToPermutes(RewriterBase &rewriter,
                                    vector::GatherOp gather) {
  auto maskOp = dyn_cast<vector::MaskOp>(gather->getParentOp());
  VectorType type = gather.getVectorType();
  if (type.getRank() != 1 || type.getNumElements() != 16 ||
      !type.getElementType().isF32() || type.isScalable())
    return failure();
  if (!llvm::all_of(gather.getOffsets(),
                    [](Value v) { return isConstantIntValue(v, 0); }))
    return failure();
  std::optional<SmallVector<float>> table = getConstantTable(gather.getBase());
  if (!table)
    return failure();
  // Padded to a power of two of at least 16 entries (the pad is never
  // selected by an in-range index).
  size_t padded = std::max<size_t>(16, llvm::PowerOf2Ceil(table->size()));
  table->resize(padded, table->back());

  Location loc = gather.getLoc();
  rewriter.setInsertionPoint(maskOp ? maskOp.getOperation()
                                    : gather.getOperation());
  MLIRContext *ctx = rewriter.getContext();
  auto i32Vector = VectorType::get({16}, rewriter.getI32Type());
  Value index = gather.getIndices();
  if (isa<IndexType>(getElementTypeOrSelf(index.getType())))
    index = arith::IndexCastUIOp::create(rewriter, loc, i32Vector, index);
  else if (index.getType() != i32Vector)
    return failure();
  SmallVector<Value> parts;
  auto chunk = [&](size_t k) -> Value {
    return arith::ConstantOp::create(
        rewriter, loc, type,
        DenseElementsAttr::get(type, ArrayRef(*table).slice(16 * k, 16)));
  };
  if (padded == 16) {
    parts.push_back(LLVM::CallIntrinsicOp::create(
                        rewriter, loc, type,
                        StringAttr::get(ctx, "llvm.x86.avx512.permvar.sf.512"),
                        ValueRange{chunk(0), index})
                        .getResult(0));
  } else {
    for (size_t k = 0; k < padded / 16; k += 2)
      parts.push_back(
          LLVM::CallIntrinsicOp::create(
              rewriter, loc, type,
              StringAttr::get(ctx, "llvm.x86.avx512.vpermi2var.ps.512"),
              ValueRange{chunk(k), index, chunk(k + 1)})
              .getResult(0));
  }
  Value zero = arith::ConstantOp::create(
      rewriter, loc, i32Vector, DenseElementsAttr::get(i32Vector, int32_t(0)));
  for (int32_t bit = 32; parts.size() > 1; bit *= 2) {
    Value bits = arith::ConstantOp::create(
        rewriter, loc, i32Vector, DenseElementsAttr::get(i32Vector, bit));
    Value high = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::ne,
        arith::AndIOp::create(rewriter, loc, index, bits), zero);
    SmallVector<Value> next;
    for (size_t j = 0; j < parts.size(); j += 2)
      next.push_back(arith::SelectOp::create(rewriter, loc, high,
                                             parts[j + 1], parts[j]));
    parts = std::move(next);
  }
  Value result = arith::SelectOp::create(rewriter, loc, gather.getMask(),
                                         parts.front(), gather.getPassThru());
  if (maskOp) {
    if (Value passthru = maskOp.getPassthru())
      result = arith::SelectOp::create(rewriter, loc, maskOp.getMask(),
                                       result, passthru);
    rewriter.replaceOp(maskOp, result);
  } else {
    rewriter.replaceOp(gather, result);
  }
  return success();
}

struct OptimVectorizeElementwisePass
    : mlir::optim::impl::OptimVectorizeElementwiseBase<
          OptimVectorizeElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(mlir::optim::checkScheduleOptions(getOperation(), vectorSize,
                                                 chunkSize)))
      return signalPassFailure();
    SmallVector<linalg::GenericOp> candidates, blockReductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (mlir::optim::isFlatElementwiseGeneric(op))
        candidates.push_back(op);
      else if (isBlockReduction(op))
        blockReductions.push_back(op);
    });
    // Nothing to schedule: the function is left as it is (the cleanups
    // below canonicalise all of it).
    if (candidates.empty() && blockReductions.empty())
      return;

    // The tiling goes through linalg's external model, which a context
    // holds only when someone registered it.
    for (linalg::GenericOp op : candidates)
      if (!isa<TilingInterface>(op.getOperation())) {
        op.emitError("linalg.generic has no TilingInterface model: register "
                     "linalg's (mlir::optim::registerAllOptimDialects does)");
        return signalPassFailure();
      }

    IRRewriter rewriter(&getContext());
    // A block's reduction (8-bit moments' absmax) is one vector of the
    // block's static size, reduced once.
    for (linalg::GenericOp op : blockReductions) {
      rewriter.setInsertionPoint(op);
      if (succeeded(linalg::vectorize(rewriter, op)))
        rewriter.eraseOp(op);
    }
    for (linalg::GenericOp op : candidates) {
      // The generics of one 8-bit block are a block (256 elements), part
      // of a thread's share: they are only vectorised.
      if (chunkSize > 0 && !op->hasAttr(mlir::optim::kQuantBlockAttr)) {
        auto chunked = tile(rewriter, op, chunkSize,
                            scf::SCFTilingOptions::LoopType::ForallOp);
        if (failed(chunked))
          continue;
        op = chunked->first;
      }
      auto vectorTiled = tile(rewriter, op, vectorSize,
                              scf::SCFTilingOptions::LoopType::ForOp);
      if (failed(vectorTiled))
        continue;
      scf::ForOp partial;
      // Fails harmlessly when the trip count is a known multiple of V.
      (void)scf::peelForLoopAndSimplifyBounds(
          rewriter, cast<scf::ForOp>(vectorTiled->second), partial);
    }
    if (failed(canonicalize(getOperation())))
      return signalPassFailure();

    // Vectorise every tile: full tiles are static, the tail is masked.
    SmallVector<linalg::GenericOp> tiles;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!mlir::optim::isFlatElementwiseGeneric(op))
        return;
      int64_t size = op.getStaticLoopRanges()[0];
      // A dynamic tile is only bounded by V inside the vector-tile loop.
      if (ShapedType::isDynamic(size) ? bool(op->getParentOfType<scf::ForOp>())
                                      : size <= vectorSize)
        tiles.push_back(op);
    });
    for (linalg::GenericOp op : tiles) {
      rewriter.setInsertionPoint(op);
      SmallVector<int64_t> sizes;
      if (ShapedType::isDynamic(op.getStaticLoopRanges()[0]))
        sizes.push_back(vectorSize);
      FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
          rewriter, op, sizes, SmallVector<bool>(sizes.size(), false));
      if (failed(result))
        continue;
      rewriter.eraseOp(op);
    }
    if (failed(canonicalize(getOperation())))
      return signalPassFailure();
    if (failed(readTablesFromBuffers(getOperation())))
      return signalPassFailure();
    if (avx512Lookups) {
      SmallVector<vector::GatherOp> gathers;
      getOperation().walk([&](vector::GatherOp op) { gathers.push_back(op); });
      for (vector::GatherOp gather : gathers)
        (void)lowerGatherToPermutes(rewriter, gather);
      if (failed(canonicalize(getOperation())))
        return signalPassFailure();
    }
  }
};

} // namespace
