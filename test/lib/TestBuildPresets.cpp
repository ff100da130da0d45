//===- TestBuildPresets.cpp - build every framework preset ----------------===//
//
// A test pass: appends one function per framework preset whose body is built
// by the one-call C++ helper (buildPresetStep), so lit can check what each
// preset produces and that it round-trips.
//
//===----------------------------------------------------------------------===//

#include "optim/Dialect/Optim/IR/OptimOps.h"
#include "optim/Dialect/Optim/Utils/AdamVariant.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;
using namespace mlir::optim;

namespace {
struct TestBuildPresetsPass
    : PassWrapper<TestBuildPresetsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestBuildPresetsPass)

  StringRef getArgument() const final { return "test-optim-build-presets"; }
  StringRef getDescription() const final {
    return "Build one function per framework preset with buildPresetStep";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<OptimDialect, func::FuncDialect>();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    Location loc = module.getLoc();
    Type f32 = b.getF32Type();
    Type buffer = MemRefType::get({ShapedType::kDynamic}, f32);

    for (Preset preset : getAllPresets()) {
      PresetOptions options;
      if (preset == Preset::MXNetAdamW)
        options.rescaleGrad = options.clipGradient = true;
      AdamVariant variant = getPresetVariant(preset, options);
      // p, g, m, v, vmax, lr, b1, b2, eps, wd, t, b1^t, b2^t, rescale, clip
      SmallVector<Type> args(5, buffer);
      args.append(10, f32);
      std::string name = stringifyPreset(preset).str();
      std::replace(name.begin(), name.end(), '.', '_');
      auto func =
          func::FuncOp::create(b, loc, name, b.getFunctionType(args, {}));
      Block *entry = func.addEntryBlock();
      OpBuilder body = OpBuilder::atBlockBegin(entry);
      ValueRange a = entry->getArguments();
      ParamState state{a[0], a[1], a[2], a[3],
                       variant.amsgrad ? a[4] : Value(), Value(), Value()};
      StepScalars scalars;
      scalars.lr = a[5];
      scalars.beta1 = a[6];
      scalars.beta2 = a[7];
      scalars.eps = a[8];
      scalars.weightDecay = a[9];
      scalars.step = a[10];
      scalars.beta1Power = a[11];
      scalars.beta2Power = a[12];
      scalars.rescaleGrad = a[13];
      scalars.clipGradient = a[14];
      buildPresetStep(body, loc, preset, state, scalars, options);
      func::ReturnOp::create(body, loc);
    }
    buildTensorGroup(b, loc);
  }

  /// The ops' own group builder on tensors: two parameters (f32, and bf16
  /// with f32 moments), AMSGrad, f64 scalars; the results are inferred.
  void buildTensorGroup(OpBuilder &b, Location loc) {
    Type f32 = b.getF32Type(), f64 = b.getF64Type();
    Type p0 = RankedTensorType::get({4}, f32);
    Type p1 = RankedTensorType::get({2, 3}, b.getBF16Type());
    Type m1 = RankedTensorType::get({2, 3}, f32);
    SmallVector<Type> args = {p0, p0, p0, p0, p0, p1, p1, m1, m1, m1};
    args.append(6, f64);
    args.push_back(b.getI64Type());
    auto func = func::FuncOp::create(b, loc, "group_builder_tensor",
                                     b.getFunctionType(args, {}));
    Block *entry = func.addEntryBlock();
    OpBuilder body = OpBuilder::atBlockBegin(entry);
    ValueRange a = entry->getArguments();
    StepScalars scalars;
    scalars.lr = a[10];
    scalars.beta1 = a[11];
    scalars.beta2 = a[12];
    scalars.eps = a[13];
    scalars.weightDecay = a[14];
    scalars.rescaleGrad = a[15];
    scalars.step = a[16];
    auto step = AdamWOp::create(
        body, loc, /*params=*/{a[0], a[5]}, /*grads=*/{a[1], a[6]},
        /*expAvgs=*/{a[2], a[7]}, /*expAvgSqs=*/{a[3], a[8]},
        /*maxExpAvgSqs=*/{a[4], a[9]}, scalars, BiasCorrection::folded,
        /*amsgrad=*/true, /*maximize=*/false, DecayRate::effective);
    func::ReturnOp::create(body, loc, step->getResults());
    func.setFunctionType(b.getFunctionType(args, step->getResultTypes()));
  }
};
} // namespace

namespace mlir::optim::test {
void registerTestBuildPresetsPass() {
  PassRegistration<TestBuildPresetsPass>();
}
} // namespace mlir::optim::test
