//===- BufferizableOpInterfaceImpl.cpp - optim bufferization --------------===//

#include "optim/Dialect/Optim/Transforms/BufferizableOpInterfaceImpl.h"

#include "optim/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace mlir::optim;

namespace {
/// Reads every operand, writes the state in place: the destination-style
/// defaults. Bufferizing replaces each tensor by its buffer and clones the
/// op, which then has no results.
template <typename OpTy>
struct AdamStepBufferization : public DstBufferizableOpInterfaceExternalModel<
                                   AdamStepBufferization<OpTy>, OpTy> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto stepOp = cast<OpTy>(op);
    if (!stepOp.hasPureTensorSemantics())
      return success();
    SmallVector<Value> operands;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<TensorType>(operand.get().getType())) {
        operands.push_back(operand.get());
        continue;
      }
      FailureOr<Value> buffer =
          getBuffer(rewriter, operand.get(), options, state);
      if (failed(buffer))
        return failure();
      operands.push_back(*buffer);
    }
    SmallVector<Value> replacements;
    for (OpOperand &init : stepOp.getDpsInitsMutable())
      replacements.push_back(operands[init.getOperandNumber()]);
    OperationState bufferized(op->getLoc(), op->getName(), operands,
                              /*types=*/TypeRange(), op->getAttrs());
    rewriter.create(bufferized);
    replaceOpWithBufferizedValues(rewriter, op, replacements);
    return success();
  }
};

/// Reads its gradients and writes nothing: bufferizing swaps each tensor for
/// its buffer; the scalar result is unchanged.
struct GlobalNormBufferization
    : public BufferizableOpInterface::ExternalModel<GlobalNormBufferization,
                                                    GlobalNormOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      if (!isa<TensorType>(operand.getType())) {
        operands.push_back(operand);
        continue;
      }
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      operands.push_back(*buffer);
    }
    OperationState bufferized(op->getLoc(), op->getName(), operands,
                              op->getResultTypes(), op->getAttrs());
    Operation *newOp = rewriter.create(bufferized);
    replaceOpWithBufferizedValues(rewriter, op, newOp->getResults());
    return success();
  }
};
} // namespace

void mlir::optim::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, OptimDialect *) {
    AdamOp::attachInterface<AdamStepBufferization<AdamOp>>(*ctx);
    AdamWOp::attachInterface<AdamStepBufferization<AdamWOp>>(*ctx);
    GlobalNormOp::attachInterface<GlobalNormBufferization>(*ctx);
  });
}
