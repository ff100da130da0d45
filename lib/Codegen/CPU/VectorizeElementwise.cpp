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

#include "optim/Codegen/Elementwise.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
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
      op.getNumReductionLoops() != 1 || !op->hasAttr(optim::kQuantBlockAttr))
    return false;
  int64_t size = op.getStaticLoopRanges()[0];
  return !ShapedType::isDynamic(size) && size <= kMaxBlock;
}

/// Table lookups (the code tables of 8-bit moments) are tensor.extract ops
/// on a `bufferization.to_tensor` view of a memref, so that the vectoriser
/// makes gathers of them; afterwards every such gather, and any lookup left
/// scalar, reads the memref itself.
LogicalResult readTablesFromBuffers(Operation *root) {
  auto bufferOf = [](Value v) -> Value {
    auto view = v.getDefiningOp<bufferization::ToTensorOp>();
    return view ? view.getBuffer() : Value();
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

struct OptimVectorizeElementwisePass
    : optim::impl::OptimVectorizeElementwiseBase<
          OptimVectorizeElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorSize < 1) {
      getOperation().emitError("vector-size must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> candidates, blockReductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (optim::isFlatElementwiseGeneric(op))
        candidates.push_back(op);
      else if (isBlockReduction(op))
        blockReductions.push_back(op);
    });

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
      if (chunkSize > 0 && !op->hasAttr(optim::kQuantBlockAttr)) {
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
      if (!optim::isFlatElementwiseGeneric(op))
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
  }
};

} // namespace
