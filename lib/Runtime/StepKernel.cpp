//===- StepKernel.cpp - the MLIR of a runtime step kernel -----------------===//

#include "StepKernel.h"

#include "optim/Codegen/GroupTable.h"
#include "optim/Dialect/Optim/IR/OptimOps.h"
#include "optim/Dialect/Optim/Utils/AdamVariant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

#include "llvm/IR/Module.h"

using namespace mlir;

namespace optim::detail {

void packScalars(const StepScalars &s, double (&block)[kNumScalarSlots]) {
  block[kLr] = s.lr;
  block[kBeta1] = s.beta1;
  block[kBeta2] = s.beta2;
  block[kEps] = s.eps;
  block[kWeightDecay] = s.weightDecay;
  block[kStep] = static_cast<double>(s.step);
  block[kBeta1Power] = s.beta1Power;
  block[kBeta2Power] = s.beta2Power;
  block[kRescaleGrad] = s.rescaleGrad;
  block[kClipGradient] = s.clipGradient;
  block[kGradScale] = s.gradScale;
  block[kGradNorm] = s.gradNorm;
  block[kMaxGradNorm] = s.maxGradNorm;
  storeSlotBits(block[kRoundingSeed], s.roundingSeed);
  storeSlotBits(block[kRoundingOffset], s.roundingOffset);
  storeSlotBits(block[kRoundingStream], s.roundingStream);
  storeSlotBits(block[kRoundingElement], s.roundingElement);
}

static Type getMlirType(MLIRContext *ctx, ElementType type) {
  Builder b(ctx);
  switch (type) {
  case ElementType::f16:
    return b.getF16Type();
  case ElementType::bf16:
    return b.getBF16Type();
  case ElementType::f32:
    return b.getF32Type();
  case ElementType::f64:
    return b.getF64Type();
  }
  llvm_unreachable("unknown element type");
}

/// The norm of one piece of a gradient (CPU), or with `table` of every
/// gradient of the group table (GPU), unscaled by grad_scale when the step
/// takes one:
///
///   func.func @optim_grad_norm([%table: memref<?xi64>,] %g: memref<?xT>,
///                              %scalars: memref<?xf64>) -> f64
static void buildGradNormKernel(OpBuilder &b, Location loc, Type gradBuffer,
                                Type scalarBuffer, bool gradScale,
                                bool table) {
  Type f64 = b.getF64Type();
  SmallVector<Type> args = {gradBuffer, scalarBuffer};
  if (table)
    args.insert(args.begin(),
                MemRefType::get({ShapedType::kDynamic}, b.getI64Type()));
  auto func = func::FuncOp::create(b, loc, kGradNormKernelName,
                                   b.getFunctionType(args, {f64}));
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  if (table) {
    func.setArgAttr(0, mlir::optim::kGroupTableAttr, b.getUnitAttr());
    func.setArgAttr(1, mlir::optim::kGroupColumnAttr, b.getI64IntegerAttr(1));
  }
  OpBuilder::InsertionGuard guard(b);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange operands = entry->getArguments().drop_front(table ? 1 : 0);
  Value scale;
  if (gradScale) {
    Value index = arith::ConstantIndexOp::create(b, loc, kGradScale);
    scale = memref::LoadOp::create(b, loc, operands[1], index);
  }
  Value norm = mlir::optim::GlobalNormOp::create(
      b, loc, f64, ValueRange{operands[0]}, scale);
  func::ReturnOp::create(b, loc, norm);
}

static void buildStepBody(OpBuilder &b, Location loc, const StepConfig &config,
                          func::FuncOp func, bool table);

OwningOpRef<ModuleOp> buildStepKernel(MLIRContext *ctx,
                                      const StepConfig &config) {
  ctx->loadDialect<arith::ArithDialect, func::FuncDialect,
                   memref::MemRefDialect, mlir::optim::OptimDialect>();
  OpBuilder b(ctx);
  Location loc = NameLoc::get(b.getStringAttr(config.key()));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());

  const AdamVariant &variant = config.variant;
  Type paramType = getMlirType(ctx, config.paramType);
  FloatType computeType = mlir::optim::getComputeType(paramType);
  auto dynamic = [&](Type element) {
    return MemRefType::get({ShapedType::kDynamic}, element);
  };
  Type paramBuffer = dynamic(paramType);
  Type momentBuffer =
      dynamic(config.momentStorage == MomentStorage::bf16 ? b.getBF16Type()
                                                          : computeType);
  Type scalarBuffer = dynamic(b.getF64Type());
  bool table = usesGroupTable(config);
  SmallVector<Type> argTypes;
  if (table)
    argTypes.push_back(dynamic(b.getI64Type()));
  argTypes.append(
      {paramBuffer, paramBuffer, momentBuffer, momentBuffer, momentBuffer});
  argTypes.push_back(scalarBuffer);
  auto func = func::FuncOp::create(b, loc, kKernelName,
                                   b.getFunctionType(argTypes, {}));
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  if (table) {
    func.setArgAttr(0, mlir::optim::kGroupTableAttr, b.getUnitAttr());
    for (int64_t column = 0; column < 5; ++column)
      func.setArgAttr(1 + column, mlir::optim::kGroupColumnAttr,
                      b.getI64IntegerAttr(column));
  }
  buildStepBody(b, loc, config, func, table);

  if (config.momentStorage == MomentStorage::blockwise8) {
    b.setInsertionPointToEnd(module->getBody());
    Type codes = dynamic(b.getI8Type()), absmax = dynamic(b.getF32Type());
    SmallVector<Type> quantizedTypes;
    if (table)
      quantizedTypes.push_back(dynamic(b.getI64Type()));
    quantizedTypes.append(
        {paramBuffer, paramBuffer, codes, codes, absmax, absmax, scalarBuffer});
    auto quantized = func::FuncOp::create(
        b, loc, kQuantizedKernelName, b.getFunctionType(quantizedTypes, {}));
    quantized->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    if (table) {
      // p, g, m, v, then the absmaxes (8-bit moments have no vmax).
      const int64_t columns[] = {0,
                                 1,
                                 2,
                                 3,
                                 mlir::optim::kGroupTableExpAvgAbsmaxColumn,
                                 mlir::optim::kGroupTableExpAvgSqAbsmaxColumn};
      quantized.setArgAttr(0, mlir::optim::kGroupTableAttr, b.getUnitAttr());
      for (auto [i, column] : llvm::enumerate(columns))
        quantized.setArgAttr(1 + i, mlir::optim::kGroupColumnAttr,
                             b.getI64IntegerAttr(column));
    }
    buildStepBody(b, loc, config, quantized, table);
  }

  if (variant.clipGradNorm) {
    b.setInsertionPointToEnd(module->getBody());
    buildGradNormKernel(b, loc, paramBuffer, scalarBuffer, variant.gradScale,
                        table);
  }
  return module;
}

/// The body of a step kernel `func`: its arguments are (the group table,)
/// p, g, m, v, then vmax or, for 8-bit moments (i8 codes), the two absmaxes,
/// and last the scalar block.
static void buildStepBody(OpBuilder &b, Location loc, const StepConfig &config,
                          func::FuncOp func, bool table) {
  const AdamVariant &variant = config.variant;
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange args = entry->getArguments().drop_front(table ? 1 : 0);
  Value scalarBlock = args.back();

  auto scalar = [&](ScalarSlot slot) -> Value {
    Value index = arith::ConstantIndexOp::create(b, loc, slot);
    // Scalars stay f64: 1 - beta and the bias corrections are then computed
    // from the caller's exact values, as the frameworks do in double.
    return memref::LoadOp::create(b, loc, scalarBlock, index);
  };

  mlir::optim::StepScalars s;
  s.lr = scalar(kLr);
  s.beta1 = scalar(kBeta1);
  s.beta2 = scalar(kBeta2);
  s.eps = scalar(kEps);
  if (variant.weightDecay != WeightDecayMode::none)
    s.weightDecay = scalar(kWeightDecay);
  if (variant.biasCorrection != BiasCorrection::none) {
    if (variant.givenPowers) {
      s.beta1Power = scalar(kBeta1Power);
      s.beta2Power = scalar(kBeta2Power);
    } else {
      // The count travels as f64 (exact up to 2^53) and is used as an i64.
      Value index = arith::ConstantIndexOp::create(b, loc, kStep);
      Value wide = memref::LoadOp::create(b, loc, scalarBlock, index);
      s.step = arith::FPToSIOp::create(b, loc, b.getI64Type(), wide);
    }
  }
  if (variant.rescaleGrad)
    s.rescaleGrad = scalar(kRescaleGrad);
  if (variant.clipGradient)
    s.clipGradient = scalar(kClipGradient);
  if (variant.gradScale)
    s.gradScale = scalar(kGradScale);
  if (variant.clipGradNorm) {
    s.gradNorm = scalar(kGradNorm);
    s.maxGradNorm = scalar(kMaxGradNorm);
  }
  if (variant.stochasticRounding) {
    auto bits = [&](ScalarSlot slot) -> Value {
      return arith::BitcastOp::create(b, loc, b.getI64Type(), scalar(slot));
    };
    s.roundingSeed = bits(kRoundingSeed);
    s.roundingOffset = bits(kRoundingOffset);
    s.roundingStream = bits(kRoundingStream);
    s.roundingElement = bits(kRoundingElement);
  }
  // found_inf is decided on the host: a skipped step never calls a kernel.
  AdamVariant kernelVariant = variant;
  kernelVariant.foundInf = false;

  mlir::optim::ParamState state = {args[0], args[1], args[2], args[3],
                                   Value(), Value(), Value()};
  if (mlir::optim::isQuantizedMomentType(args[2].getType())) {
    state.expAvgAbsmax = args[4];
    state.expAvgSqAbsmax = args[5];
  } else if (variant.amsgrad) {
    state.maxExpAvgSq = args[4];
  }
  mlir::optim::buildAdamStep(b, loc, kernelVariant, {state}, s);
  func::ReturnOp::create(b, loc);
}

void markKernelBuffersNoAlias(llvm::Module &module) {
  for (llvm::StringRef name :
       {kKernelName, kQuantizedKernelName, kGradNormKernelName}) {
    llvm::Function *function = module.getFunction(name);
    if (!function)
      continue;
    // A memref<?xT> argument is (allocated, aligned, offset, size, stride):
    // two pointers in a row, the second the one loads and stores use.
    for (unsigned i = 0; i + 1 < function->arg_size(); ++i)
      if (function->getArg(i)->getType()->isPointerTy() &&
          function->getArg(i + 1)->getType()->isPointerTy())
        function->addParamAttr(++i, llvm::Attribute::NoAlias);
  }
}

} // namespace optim::detail
