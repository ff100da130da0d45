//===- optim-aot.cpp - compile an optimizer step ahead of time ------------===//
//
//   optim-aot --preset=torch.adamw --dtype=f32 --target=gpu --chip=sm_90 \
//             -o adamw.o --header adamw.h
//
// Writes the step as an object file for this host and a C header declaring
// its entry point. GPU objects embed the kernel as PTX and launch it through
// liboptim_cuda_runtime.so, so production GPU hosts need no LLVM.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Compiler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::opt<std::string> presetName("preset", cl::init("torch.adamw"),
                                       cl::desc("Framework preset"));
static cl::opt<std::string>
    dtype("dtype", cl::init("f32"),
          cl::desc("Parameter type: f16, bf16, f32, f64"));
static cl::opt<std::string> targetName("target", cl::init("cpu"),
                                       cl::desc("cpu or gpu"));
static cl::opt<std::string> chip("chip", cl::init("sm_90"),
                                 cl::desc("NVIDIA chip for --target=gpu"));
static cl::opt<bool> amsgrad("amsgrad", cl::desc("AMSGrad variant"));
static cl::opt<bool> maximize("maximize", cl::desc("Maximize"));
static cl::opt<std::string> output("o", cl::Required,
                                   cl::desc("Object file to write"));
static cl::opt<std::string> header("header", cl::init(""),
                                   cl::desc("C header to write"));

static int fail(const Twine &message) {
  WithColor::error() << message << "\n";
  return 1;
}

static bool write(StringRef path, StringRef contents) {
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec)
    return false;
  os << contents;
  return true;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "optim ahead-of-time compiler\n");
  std::optional<mlir::optim::Preset> preset =
      mlir::optim::symbolizePreset(presetName);
  if (!preset)
    return fail("unknown preset '" + presetName + "'");
  std::optional<optim::ElementType> type = optim::symbolizeElementType(dtype);
  if (!type)
    return fail("unknown dtype '" + dtype + "'");
  if (targetName != "cpu" && targetName != "gpu")
    return fail("unknown target '" + targetName + "' (cpu or gpu)");
  optim::PresetOptions options;
  options.amsgrad = amsgrad;
  options.maximize = maximize;
  optim::StepConfig config =
      optim::StepConfig::forPreset(*preset, *type, options);
  config.target = targetName == "gpu" ? optim::Target::GPU : optim::Target::CPU;
  config.gpuChip = chip;

  auto compiler = optim::Compiler::create();
  if (!compiler)
    return fail(toString(compiler.takeError()));
  auto object = (*compiler)->emitObject(config);
  if (!object)
    return fail(toString(object.takeError()));
  if (!write(output, *object))
    return fail("cannot write " + output);
  if (!header.empty() && !write(header, optim::Compiler::getAotHeader(config)))
    return fail("cannot write " + header);
  outs() << "wrote " << output << " (" << object->size() << " bytes) for "
         << config.key() << "\n";
  return 0;
}
