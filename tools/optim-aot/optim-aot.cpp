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

#include "MomentStorageOption.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

using namespace llvm;
using optim::Preset;

static cl::OptionCategory aotCategory("optim-aot options");

static cl::opt<Preset> preset(
    "preset", cl::init(Preset::TorchAdamW),
    cl::desc("Framework preset (../shared/spec/SEMANTICS.md)"),
    cl::values(clEnumValN(Preset::TorchAdam, "torch.adam", "torch.optim.Adam"),
               clEnumValN(Preset::TorchAdamW, "torch.adamw",
                          "torch.optim.AdamW"),
               clEnumValN(Preset::MindSporeAdamWeightDecay,
                          "mindspore.adam_weight_decay",
                          "mindspore.ops.AdamWeightDecay"),
               clEnumValN(Preset::MindSporeApplyAdamWithAmsgradV2,
                          "mindspore.apply_adam_with_amsgrad_v2",
                          "mindspore.ops.ApplyAdamWithAmsgradV2"),
               clEnumValN(Preset::MXNetAdamW, "mxnet.adamw",
                          "mxnet.optimizer.adamW.AdamW"),
               clEnumValN(Preset::BrainpyAdamW, "brainpy.adamw",
                          "brainpy.optim.AdamW")),
    cl::cat(aotCategory));
static cl::opt<optim::ElementType> dtype(
    "dtype", cl::init(optim::ElementType::f32),
    cl::desc("Parameter element type"),
    cl::values(clEnumValN(optim::ElementType::f16, "f16",
                          "f16 (f32 compute, moments as --moments says)"),
               clEnumValN(optim::ElementType::bf16, "bf16",
                          "bf16 (f32 compute, moments as --moments says)"),
               clEnumValN(optim::ElementType::f32, "f32", "f32"),
               clEnumValN(optim::ElementType::f64, "f64", "f64")),
    cl::cat(aotCategory));
// Declared before the option, which keeps a reference to it.
static const std::string momentsDesc =
    std::string(optim::tools::kMomentStorageDesc) +
    " (blockwise8 is the JIT runtime's only: refused here)";
static cl::opt<optim::MomentStorage>
    moments("moments", cl::init(optim::MomentStorage::compute),
            cl::desc(momentsDesc), optim::tools::momentStorageValues(),
            cl::cat(aotCategory));
static cl::opt<optim::Target>
    target("target", cl::init(optim::Target::CPU),
           cl::desc("Where the step runs"),
           cl::values(clEnumValN(optim::Target::CPU, "cpu", "This host's CPU"),
                      clEnumValN(optim::Target::GPU, "gpu",
                                 "An NVIDIA GPU (PTX launched through "
                                 "liboptim_cuda_runtime.so)")),
           cl::cat(aotCategory));
static cl::opt<std::string> chip("chip", cl::init("sm_90"),
                                 cl::desc("NVIDIA chip for --target=gpu"),
                                 cl::value_desc("sm_XY"), cl::cat(aotCategory));
static cl::opt<bool> amsgrad(
    "amsgrad",
    cl::desc("AMSGrad on (or off with =false); by default the preset's own"),
    cl::cat(aotCategory));
static cl::opt<bool> maximize("maximize",
                              cl::desc("Maximize the objective (g = -g)"),
                              cl::cat(aotCategory));
static cl::opt<std::string> output("o", cl::Required,
                                   cl::desc("Object file to write"),
                                   cl::value_desc("file"),
                                   cl::cat(aotCategory));
static cl::opt<std::string>
    name("name", cl::init("optim_step"),
         cl::desc("The entry point's name: the object exports "
                  "_mlir_ciface_<name> (and <name>_run on the GPU), so that "
                  "steps of several names link into one program"),
         cl::value_desc("identifier"), cl::cat(aotCategory));
static cl::opt<std::string>
    cpu("cpu", cl::init(""),
        cl::desc("The CPU the object runs on, an LLVM CPU name (x86-64, "
                 "x86-64-v3, skylake-avx512, znver4, ...); by default this "
                 "host's, with its features"),
        cl::value_desc("name"), cl::cat(aotCategory));
static cl::opt<std::string> header("header", cl::init(""),
                                   cl::desc("C header to write"),
                                   cl::value_desc("file"),
                                   cl::cat(aotCategory));

static int fail(const Twine &message) {
  WithColor::error() << message << "\n";
  return 1;
}

/// One output written to a temporary file beside its destination, so that
/// nothing appears under the final name until every output is complete.
struct PendingOutput {
  std::string path;
  std::optional<sys::fs::TempFile> temp;
};

static Error writeTemp(PendingOutput &out, StringRef contents) {
  Expected<sys::fs::TempFile> temp =
      sys::fs::TempFile::create(out.path + "-%%%%%%.tmp");
  if (!temp)
    return createStringError("cannot write " + out.path + ": " +
                             toString(temp.takeError()));
  out.temp.emplace(std::move(*temp));
  raw_fd_ostream os(out.temp->FD, /*shouldClose=*/false);
  os << contents;
  os.flush();
  if (os.has_error())
    return createStringError("cannot write " + out.path + ": " +
                             os.error().message());
  return Error::success();
}

/// The canonical absolute form of `path`, for comparing two output names.
static std::string canonicalPath(StringRef path) {
  SmallString<256> absolute(path);
  sys::fs::make_absolute(absolute);
  SmallString<256> real;
  if (!sys::fs::real_path(absolute, real))
    return real.str().str();
  // The file does not exist yet: resolve its directory instead.
  SmallString<256> dir = sys::path::parent_path(absolute);
  if (!sys::fs::real_path(dir, real)) {
    sys::path::append(real, sys::path::filename(absolute));
    return real.str().str();
  }
  sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  return absolute.str().str();
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(aotCategory);
  cl::ParseCommandLineOptions(argc, argv, "optim ahead-of-time compiler\n");
  if (output == "-" || header == "-")
    return fail("objects and headers are written to files, not to stdout");
  if (!header.empty() && canonicalPath(output) == canonicalPath(header))
    return fail("the object and the header would both be written to '" +
                output + "'");
  if (Error error = optim::Compiler::verifyAotName(name))
    return fail(toString(std::move(error)));
  optim::PresetOptions options;
  if (amsgrad.getNumOccurrences()) // else the preset's own
    options.amsgrad = amsgrad;
  options.maximize = maximize;
  optim::StepConfig config =
      optim::StepConfig::forPreset(preset, dtype, options);
  config.momentStorage = moments;
  config.target = target;
  config.gpuChip = chip;

  auto compiler = optim::Compiler::create();
  if (!compiler)
    return fail(toString(compiler.takeError()));
  optim::AotOptions aot;
  aot.name = name;
  aot.cpu = cpu;
  auto object = (*compiler)->emitObject(config, aot);
  if (!object)
    return fail(toString(object.takeError()));

  // Both outputs are written to temporary files first and renamed only when
  // both are complete: a failure leaves neither behind.
  PendingOutput objectOut{output.getValue(), {}}, headerOut{header, {}};
  auto discard = [](PendingOutput &out) {
    if (out.temp)
      consumeError(out.temp->discard());
  };
  // The outputs are renamed into place: over a directory that fails, and
  // over a device or a FIFO it would replace the special file (/dev/null
  // as root). Both are refused before anything is renamed, so that an
  // existing object is not replaced by one whose header is lost. A symbolic
  // link's target is replaced, not the link.
  for (PendingOutput *out : {&objectOut, &headerOut}) {
    sys::fs::file_status status;
    if (out->path.empty() || sys::fs::status(out->path, status))
      continue; // Not there yet.
    if (status.type() == sys::fs::file_type::directory_file)
      return fail("cannot write " + out->path + ": it is a directory");
    if (status.type() != sys::fs::file_type::regular_file)
      return fail("cannot write " + out->path +
                  ": it is not a regular file (a device, a FIFO or a "
                  "socket is not replaced)");
    SmallString<256> real;
    if (!sys::fs::real_path(out->path, real))
      out->path = real.str().str();
  }
  Error error = writeTemp(objectOut, *object);
  if (!error && !header.empty())
    error = writeTemp(headerOut, optim::Compiler::getAotHeader(config, aot));
  auto keep = [](PendingOutput &out) -> Error {
    if (Error error = out.temp->keep(out.path))
      return createStringError("cannot write " + out.path + ": " +
                               toString(std::move(error)));
    return Error::success();
  };
  if (!error)
    error = keep(objectOut);
  if (!error && headerOut.temp)
    if ((error = keep(headerOut)))
      sys::fs::remove(objectOut.path); // An object without its header.
  if (error) {
    discard(objectOut);
    discard(headerOut);
    return fail(toString(std::move(error)));
  }
  outs() << "wrote " << output << " (" << object->size() << " bytes) for "
         << config.key() << "\n";
  return 0;
}
