//===- Compiler.cpp - the optim JIT compiler ------------------------------===//
//
// Kernel generation, the pipelines, code generation and the caches: a CPU
// step becomes an object file (the same one emitObject writes), kept in the
// on-disk kernel cache and linked into the process with ORC; GPU steps and
// user modules go through MLIR's ExecutionEngine.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Compiler.h"

#include "GpuState.h"
#include "JitEngine.h"
#include "KernelCache.h"
#include "StepKernel.h"
#include "WorkerPool.h"

#include "optim/Codegen/GroupTable.h"
#include "optim/InitAllOptim.h"
#include "optim/Pipelines/Pipelines.h"
#ifdef OPTIM_CUDA_RUNTIME_LIBRARY
#include "optim/Runtime/CUDA/CudaDriver.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/AbsoluteSymbols.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/DiagnosticPrinter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir;
using namespace ::optim;

namespace {
/// f32 -> bf16 with round-to-nearest-even, for hosts without AVX512-BF16:
/// the x86 backend legalises bf16 vector stores into calls of compiler-rt's
/// __truncsfbf2, which a JIT'd module cannot find on its own.
extern "C" __bf16 optimTruncSFBF2(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  uint16_t result;
  if ((bits & 0x7fffffff) > 0x7f800000)
    result = uint16_t((bits >> 16) | 0x40); // quiet NaN
  else
    result = uint16_t((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
  __bf16 out;
  std::memcpy(&out, &result, sizeof(out));
  return out;
}

/// The functions generated code may call that the process need not export.
llvm::orc::SymbolMap getRuntimeSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap symbols;
  symbols[interner("__truncsfbf2")] = {
      llvm::orc::ExecutorAddr::fromPtr(&optimTruncSFBF2),
      llvm::JITSymbolFlags::Exported};
  return symbols;
}

void registerRuntimeSymbols(ExecutionEngine &engine) {
  engine.registerSymbols(getRuntimeSymbols);
}

/// Links a step's object file into the process and returns the address of
/// `symbol`. No ORC platform: the object has no initialisers, and so
/// neither loading nor destroying it generates code.
llvm::Expected<std::unique_ptr<::optim::detail::JitEngine>>
linkObject(llvm::StringRef object, llvm::StringRef symbol, void *&address) {
  auto jit = llvm::orc::LLJITBuilder()
                 .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                 .create();
  if (!jit)
    return jit.takeError();
  // Link errors are returned by lookup; ORC would also print them.
  (*jit)->getExecutionSession().setErrorReporter(
      [](llvm::Error error) { llvm::consumeError(std::move(error)); });
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                        (*jit)->getDataLayout());
  if (llvm::Error error = (*jit)->getMainJITDylib().define(
          llvm::orc::absoluteSymbols(getRuntimeSymbols(interner))))
    return std::move(error);
  if (llvm::Error error = (*jit)->addObjectFile(
          llvm::MemoryBuffer::getMemBufferCopy(object, "optim-step.o")))
    return std::move(error);
  llvm::Expected<llvm::orc::ExecutorAddr> found = (*jit)->lookup(symbol);
  if (!found)
    return found.takeError();
  address = found->toPtr<void *>();
  auto engine = std::make_unique<::optim::detail::JitEngine>();
  engine->objectJit = std::move(*jit);
  return std::move(engine);
}

/// Milliseconds between laps.
class Stopwatch {
public:
  double lap() {
    auto now = std::chrono::steady_clock::now();
    double millis =
        std::chrono::duration<double, std::milli>(now - last).count();
    last = now;
    return millis;
  }

private:
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

/// LLVM's default diagnostic handler exit()s on errors reported during code
/// generation; a library must not. Errors go to `errors`, the rest is dropped.
void collectCodegenErrors(llvm::LLVMContext &context, std::string *errors) {
  context.setDiagnosticHandlerCallBack(
      [](const llvm::DiagnosticInfo *info, void *sink) {
        if (info->getSeverity() != llvm::DS_Error)
          return;
        llvm::raw_string_ostream os(*static_cast<std::string *>(sink));
        llvm::DiagnosticPrinterRawOStream printer(os);
        info->print(printer);
        os << "\n";
      },
      errors);
}

/// The TargetMachine at -O3 for this host, or for the CPU named `cpu` (an
/// LLVM CPU name, ahead of time); `pic` for objects that get linked into
/// other programs.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(bool pic, llvm::StringRef cpu = {}) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  if (!cpu.empty()) {
    // The CPU's own features, not the host's.
    builder->setCPU(cpu.str());
    builder->getFeatures() = llvm::SubtargetFeatures();
  }
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  if (pic)
    builder->setRelocationModel(llvm::Reloc::PIC_);
  return builder->createTargetMachine();
}

/// Turns the diagnostics of one compilation into an llvm::Error message.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &diag) {
          llvm::raw_string_ostream os(messages);
          os << diag.getLocation() << ": " << diag << "\n";
          return success();
        }) {}
  llvm::Error error(llvm::StringRef what) const {
    return llvm::createStringError(
        (what + (messages.empty() ? "" : ":\n" + messages)).str());
  }

private:
  std::string messages;
  ScopedDiagnosticHandler handler;
};

#ifdef OPTIM_CUDA_RUNTIME_LIBRARY
/// liboptim_cuda_runtime.so: $OPTIM_CUDA_RUNTIME_LIBRARY, else the build
/// tree's, else (an installed optim, or a build tree that moved) the bare
/// name, which the dynamic loader finds through the rpath and
/// LD_LIBRARY_PATH.
const char *getCudaRuntimeLibrary() {
  const char *path = std::getenv("OPTIM_CUDA_RUNTIME_LIBRARY");
  if (path && *path)
    return path;
  if (llvm::sys::fs::exists(OPTIM_CUDA_RUNTIME_LIBRARY))
    return OPTIM_CUDA_RUNTIME_LIBRARY;
  return "liboptim_cuda_runtime.so";
}
#endif

/// The host's vector register width in bytes.
/// The widest vector registers of a CPU that `has` the features asked.
unsigned getVectorBytes(llvm::function_ref<bool(llvm::StringRef)> has) {
  if (has("avx512f"))
    return 64;
  if (has("avx2") || has("avx"))
    return 32;
  return 16;
}

unsigned getHostVectorBytes() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return getVectorBytes(
      [&](llvm::StringRef feature) { return features.lookup(feature); });
}

/// Whether the host converts f32 to bf16 in one instruction (the kernels
/// are compiled for the host's features, and the kernel cache is keyed by
/// them).
bool hostHasNativeBf16() {
  return llvm::sys::getHostCPUFeatures().lookup("avx512bf16");
}

/// What CPU steps are compiled for: the host (the JIT, the kernel cache and
/// ahead-of-time objects by default), or a CPU named for an object that runs
/// elsewhere. The vector width and the bf16 conversion follow its features.
struct CpuTarget {
  /// An LLVM CPU name; empty for the host (its CPU and detected features).
  std::string cpu;
  unsigned vectorBytes = 16;
  bool nativeBf16 = false;
};

/// The target of `cpu` on this host's architecture, or an error naming it.
llvm::Expected<CpuTarget> getNamedCpuTarget(llvm::StringRef cpu) {
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError(error);
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!generic || !generic->isCPUStringValid(cpu))
    return llvm::createStringError(
        llvm::formatv("'{0}' is not a CPU of {1} (LLVM CPU names: x86-64, "
                      "x86-64-v3, skylake-avx512, znver4, ...)",
                      cpu, triple.str())
            .str());
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, cpu, ""));
  auto has = [&](llvm::StringRef feature) {
    return info->checkFeatures(("+" + feature).str());
  };
  CpuTarget result;
  result.cpu = cpu.str();
  result.vectorBytes = getVectorBytes(has);
  result.nativeBf16 = has("avx512bf16");
  return result;
}
} // namespace

struct Compiler::Impl {
  CompilerOptions options;
  /// Created by the first compilation: a process that loads every step
  /// from the disk cache never pays for the dialects.
  std::unique_ptr<MLIRContext> context;
  unsigned numThreads;
  std::shared_ptr<::optim::detail::WorkerPool> pool;
  unsigned hostVectorBytes;
  bool nativeBf16;
  std::optional<::optim::detail::KernelCache> diskCache;

  // Lookups take `cacheMutex` only; compilations are serialised by
  // `compileMutex` (one MLIRContext) and re-check the cache under it so that
  // concurrent first requests for one configuration compile once.
  mutable std::mutex cacheMutex;
  std::mutex compileMutex;
  llvm::StringMap<std::shared_ptr<const CompiledStep>> cache;
  CacheStats stats;

  Impl(const CompilerOptions &options,
       std::shared_ptr<::optim::detail::WorkerPool> workers)
      : options(options), numThreads(workers->size()),
        pool(std::move(workers)) {
    hostVectorBytes = getHostVectorBytes();
    nativeBf16 = hostHasNativeBf16();
    if (options.diskCache)
      if (std::optional<std::string> directory =
              ::optim::detail::KernelCache::chooseDirectory(
                  options.cacheDirectory))
        diskCache.emplace(std::move(*directory));
  }

  /// The context, created on first use; callers hold compileMutex.
  MLIRContext &getContext() {
    if (!context)
      context = std::make_unique<MLIRContext>(makeRegistry(),
                                              MLIRContext::Threading::DISABLED);
    return *context;
  }

  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registerAllToLLVMIRTranslations(registry);
    mlir::optim::registerAllOptimDialects(registry);
    return registry;
  }

  using PipelineBuilder =
      llvm::function_ref<LogicalResult(OpPassManager &, llvm::raw_ostream &)>;

  /// Runs a pipeline to the LLVM dialect and builds an ExecutionEngine.
  /// `stepKernels`: the module is buildStepKernel's, whose kernels only
  /// ever see non-overlapping buffers (markKernelBuffersNoAlias).
  llvm::Expected<std::unique_ptr<::optim::detail::JitEngine>>
  lower(ModuleOp module, PipelineBuilder buildPipeline,
        llvm::ArrayRef<llvm::StringRef> sharedLibs, std::string *loweredIR,
        bool stepKernels = false) {
    MLIRContext &context = getContext();
    DiagnosticCollector diagnostics(&context);
    PassManager pm(&context);
    std::string pipelineError;
    llvm::raw_string_ostream pipelineErrorStream(pipelineError);
    if (failed(buildPipeline(pm, pipelineErrorStream)))
      return llvm::createStringError("invalid pipeline: " + pipelineError);
    if (failed(pm.run(module)))
      return diagnostics.error("lowering to the LLVM dialect failed");
    if (loweredIR) {
      llvm::raw_string_ostream os(*loweredIR);
      module.print(os);
    }
    // One host TargetMachine for both the LLVM optimisation pipeline (so
    // that its cost models know the vector width) and code generation.
    auto targetMachine = createTargetMachine(/*pic=*/false);
    if (!targetMachine)
      return targetMachine.takeError();
    auto jit = std::make_unique<::optim::detail::JitEngine>();
    jit->transformer =
        [optimize = makeOptimizingTransformer(
             /*optLevel=*/3, /*sizeLevel=*/0, targetMachine->get()),
         stepKernels](llvm::Module *module) {
          if (stepKernels)
            ::optim::detail::markKernelBuffersNoAlias(*module);
          return optimize(module);
        };
    ExecutionEngineOptions engineOptions;
    // Code generation errors are kept for the caller (see
    // collectCodegenErrors).
    auto buildModule =
        [&](Operation *op,
            llvm::LLVMContext &llvmContext) -> std::unique_ptr<llvm::Module> {
      collectCodegenErrors(llvmContext, &jit->codegenErrors);
      return translateModuleToLLVMIR(op, llvmContext);
    };
    engineOptions.llvmModuleBuilder = buildModule;
    engineOptions.transformer = jit->transformer;
    engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
    engineOptions.sharedLibPaths = sharedLibs;
    auto engine = ExecutionEngine::create(module, engineOptions,
                                          std::move(*targetMachine));
    if (!engine)
      return llvm::joinErrors(diagnostics.error("JIT compilation failed"),
                              engine.takeError());
    jit->engine = std::move(*engine);
    registerRuntimeSymbols(*jit->engine);
    if (!jit->codegenErrors.empty())
      return llvm::createStringError("code generation failed:\n" +
                                     jit->codegenErrors);
    return std::move(jit);
  }

  /// The one place that decides how a step kernel lowers, for the JIT and
  /// for ahead-of-time objects alike.
  /// This host, as a CpuTarget.
  CpuTarget getHostTarget() const {
    CpuTarget host;
    host.vectorBytes = hostVectorBytes;
    host.nativeBf16 = nativeBf16;
    return host;
  }

  LogicalResult buildStepPipeline(const StepConfig &config, OpPassManager &pm,
                                  llvm::raw_ostream &errors) const {
    return buildStepPipeline(config, getHostTarget(), pm, errors);
  }
  LogicalResult buildStepPipeline(const StepConfig &config,
                                  const CpuTarget &cpu, OpPassManager &pm,
                                  llvm::raw_ostream &errors) const {
    if (config.target == Target::CPU) {
      mlir::optim::CPUPipelineOptions pipeline;
      pipeline.vectorSize = pickVectorSize(config, cpu.vectorBytes);
      // The executor splits work over its own threads: one chunk per call.
      pipeline.chunkSize = 0;
      pipeline.openmp = false;
      pipeline.fastMath = config.fastMath;
      // bf16 moments: vcvtneps2bf16 where the host has it. Moments are
      // never subnormal in practice, and the instruction's flushing of
      // subnormal inputs is the only difference from the integer rounding.
      pipeline.nativeBf16 = cpu.nativeBf16;
      // 8-bit moments' table lookups as register permutes where the host
      // has AVX-512 and the step uses its 16-lane vectors.
      pipeline.avx512Lookups =
          cpu.vectorBytes == 64 && pipeline.vectorSize == 16;
      return mlir::optim::buildOptimLowerToLLVMPipeline(pm, pipeline, errors);
    }
    if (config.target == Target::GPUEmulated) {
      // The device's kernel, launch shape and group table, run on the host.
      mlir::optim::EmulatedGPUPipelineOptions pipeline;
      pipeline.blockSize = config.gpuBlockSize;
      pipeline.maxBlocks = config.gpuMaxBlocks;
      pipeline.testStrideOffset = config.gpuTestStrideOffset;
      return mlir::optim::buildOptimLowerToEmulatedGPUPipeline(pm, pipeline,
                                                               errors);
    }
    mlir::optim::GPUPipelineOptions pipeline;
    pipeline.chip = config.gpuChip;
    pipeline.blockSize = config.gpuBlockSize;
    pipeline.maxBlocks = config.gpuMaxBlocks;
    pipeline.testStrideOffset = config.gpuTestStrideOffset;
    // PTX: the driver compiles it for the device at module load, so the GPU
    // host needs no ptxas.
    pipeline.format = "isa";
    return mlir::optim::buildOptimLowerToNVVMPipeline(pm, pipeline, errors);
  }

  unsigned pickVectorSize(const StepConfig &config,
                          unsigned vectorBytes) const {
    if (config.vectorSize)
      return config.vectorSize;
    unsigned computeBytes = config.paramType == ElementType::f64 ? 8 : 4;
    // Stochastic rounding's Philox rounds are a long dependent chain of
    // multiplies: two registers per vector give the core two chains to
    // interleave (1.4-1.5x in cache on AVX-512, optim-bench optim-bf16p-sr).
    unsigned registers = config.variant.stochasticRounding ? 2 : 1;
    return registers * vectorBytes / computeBytes;
  }

  /// The step for `config` as an object file (position independent, for
  /// the JIT, the disk cache and ahead-of-time users alike). An
  /// ahead-of-time object (`aotName` set) exports its entry point under
  /// that name and nothing else (exportAotEntry).
  llvm::Expected<std::string> emitStepObject(const StepConfig &config,
                                             CompileBreakdown &times,
                                             std::string *loweredIR,
                                             llvm::StringRef aotName = {},
                                             const CpuTarget *cpu = nullptr);

  /// A CPU step: from the disk cache or compiled (and then cached).
  llvm::Expected<std::shared_ptr<const CompiledStep>>
  getCpuStep(const StepConfig &config);

  llvm::Expected<std::shared_ptr<const CompiledStep>>
  compile(const StepConfig &config);
};

llvm::Expected<std::unique_ptr<Compiler>>
Compiler::create(const CompilerOptions &options) {
  static std::once_flag targetsInitialised;
  std::call_once(targetsInitialised, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // No pass registration: the pipelines are built from the passes' create
    // functions, so the host process's global pass registry is left alone.
  });
  // The threads first: failing to start them is the likely error, and
  // nothing else has been built yet.
  unsigned numThreads = options.numThreads;
  if (!numThreads)
    numThreads = std::min(llvm::hardware_concurrency().compute_thread_count(),
                          ::optim::detail::WorkerPool::kMaxThreads);
  auto pool = ::optim::detail::WorkerPool::create(numThreads);
  if (!pool)
    return pool.takeError();
  return std::unique_ptr<Compiler>(
      new Compiler(std::make_unique<Impl>(options, std::move(*pool))));
}

Compiler::Compiler(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Compiler::~Compiler() = default;

unsigned Compiler::getNumThreads() const { return impl->numThreads; }

CacheStats Compiler::getCacheStats() const {
  std::lock_guard<std::mutex> lock(impl->cacheMutex);
  CacheStats stats = impl->stats;
  stats.entries = impl->cache.size();
  return stats;
}

std::string Compiler::getCacheDirectory() const {
  return impl->diskCache ? impl->diskCache->getDirectory() : "";
}

/// An ahead-of-time object exports `_mlir_ciface_<name>` and keeps every
/// other definition local (the step's plain-ABI function, the kernels'
/// helpers and tables): objects of several configurations then link into
/// one program.
static llvm::Error exportAotEntry(llvm::Module &module, llvm::StringRef name) {
  std::string entry = ("_mlir_ciface_" + ::optim::detail::kKernelName).str();
  llvm::Function *function = module.getFunction(entry);
  if (!function || function->isDeclaration())
    return llvm::createStringError("the lowered step defines no " + entry);
  for (llvm::GlobalValue &value : module.global_values())
    if (&value != function && !value.isDeclaration() &&
        value.hasExternalLinkage())
      value.setLinkage(llvm::GlobalValue::InternalLinkage);
  std::string exported = ("_mlir_ciface_" + name).str();
  function->setName(exported);
  // (setName makes the name unique if a local symbol already holds it.)
  if (function->getName() != exported)
    return llvm::createStringError("the entry point cannot be named " +
                                   exported + ": the step uses that name");
  return llvm::Error::success();
}

llvm::Expected<std::string>
Compiler::Impl::emitStepObject(const StepConfig &config,
                               CompileBreakdown &times, std::string *loweredIR,
                               llvm::StringRef aotName, const CpuTarget *cpu) {
  CpuTarget target = cpu ? *cpu : getHostTarget();
  Stopwatch stopwatch;
  MLIRContext &context = getContext();
  times.contextMs = stopwatch.lap();
  DiagnosticCollector diagnostics(&context);
  OwningOpRef<ModuleOp> module =
      ::optim::detail::buildStepKernel(&context, config);
  times.buildMs = stopwatch.lap();
  PassManager pm(&context);
  std::string pipelineError;
  llvm::raw_string_ostream pipelineErrorStream(pipelineError);
  if (failed(buildStepPipeline(config, target, pm, pipelineErrorStream)))
    return llvm::createStringError("invalid pipeline: " + pipelineError);
  if (failed(pm.run(*module)))
    return diagnostics.error("lowering to the LLVM dialect failed");
  if (loweredIR) {
    llvm::raw_string_ostream os(*loweredIR);
    module->print(os);
  }
  times.lowerMs = stopwatch.lap();

  auto targetMachine = createTargetMachine(/*pic=*/true, target.cpu);
  if (!targetMachine)
    return targetMachine.takeError();
  llvm::LLVMContext llvmContext;
  std::string codegenErrors;
  collectCodegenErrors(llvmContext, &codegenErrors);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext);
  if (!llvmModule)
    return diagnostics.error("translation to LLVM IR failed");
  llvmModule->setDataLayout((*targetMachine)->createDataLayout());
  llvmModule->setTargetTriple((*targetMachine)->getTargetTriple());
  times.translateMs = stopwatch.lap();
  if (!aotName.empty())
    if (llvm::Error error = exportAotEntry(*llvmModule, aotName))
      return std::move(error);
  ::optim::detail::markKernelBuffersNoAlias(*llvmModule);
  if (llvm::Error error = makeOptimizingTransformer(
          /*optLevel=*/3, /*sizeLevel=*/0,
          targetMachine->get())(llvmModule.get()))
    return std::move(error);
  times.optimizeMs = stopwatch.lap();
  llvm::SmallString<0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if ((*targetMachine)
          ->addPassesToEmitFile(codegen, os, nullptr,
                                llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the host target cannot emit objects");
  codegen.run(*llvmModule);
  if (!codegenErrors.empty())
    return llvm::createStringError("code generation failed:\n" + codegenErrors);
  times.codegenMs = stopwatch.lap();
  return std::string(object.str());
}

llvm::Expected<std::shared_ptr<const CompiledStep>>
Compiler::Impl::getCpuStep(const StepConfig &config) {
  Stopwatch stopwatch;
  CompileBreakdown times;
  std::string key = config.key();
  std::string symbol = ("_mlir_ciface_" + ::optim::detail::kKernelName).str();
  void *address = nullptr;
  std::unique_ptr<::optim::detail::JitEngine> engine;
  // Steps whose lowered IR is kept are compiled: an entry holds no IR.
  bool useDisk = diskCache && !options.keepLoweredIR;
  if (useDisk) {
    std::string object;
    switch (diskCache->lookup(key, object)) {
    case ::optim::detail::KernelCache::LookupResult::Hit: {
      times.cacheMs = stopwatch.lap();
      auto linked = linkObject(object, symbol, address);
      times.loadMs = stopwatch.lap();
      if (linked) {
        engine = std::move(*linked);
        times.fromDiskCache = true;
        std::lock_guard<std::mutex> lock(cacheMutex);
        ++stats.diskLoads;
        break;
      }
      // A sound entry that does not link (e.g. written by a build that
      // resolved symbols differently) is rebuilt like a corrupt one.
      llvm::consumeError(linked.takeError());
      [[fallthrough]];
    }
    case ::optim::detail::KernelCache::LookupResult::Corrupt: {
      std::lock_guard<std::mutex> lock(cacheMutex);
      ++stats.diskRejected;
      break;
    }
    case ::optim::detail::KernelCache::LookupResult::Miss:
      break;
    }
  }
  std::string loweredIR;
  if (!engine) {
    times = CompileBreakdown();
    stopwatch.lap();
    auto object = emitStepObject(config, times,
                                 options.keepLoweredIR ? &loweredIR : nullptr);
    if (!object)
      return object.takeError();
    stopwatch.lap(); // emitStepObject timed its phases
    auto linked = linkObject(*object, symbol, address);
    if (!linked)
      return linked.takeError();
    engine = std::move(*linked);
    times.loadMs = stopwatch.lap();
    {
      std::lock_guard<std::mutex> lock(cacheMutex);
      ++stats.compiles;
    }
    if (useDisk) {
      // A cache that cannot be written costs the next process a compile,
      // not this one its step.
      llvm::Error stored = diskCache->store(key, *object);
      std::lock_guard<std::mutex> lock(cacheMutex);
      if (stored) {
        llvm::consumeError(std::move(stored));
        ++stats.diskStoreFailures;
      } else {
        ++stats.diskStores;
      }
      times.cacheMs = stopwatch.lap();
    }
  }
  void *normAddress = nullptr;
  if (config.variant.clipGradNorm) {
    auto found = engine->objectJit->lookup(
        ("_mlir_ciface_" + ::optim::detail::kGradNormKernelName).str());
    if (!found)
      return found.takeError();
    normAddress = found->toPtr<void *>();
  }
  void *quantizedAddress = nullptr;
  if (config.momentStorage == MomentStorage::blockwise8) {
    auto found = engine->objectJit->lookup(
        ("_mlir_ciface_" + ::optim::detail::kQuantizedKernelName).str());
    if (!found)
      return found.takeError();
    quantizedAddress = found->toPtr<void *>();
  }
  ::optim::detail::watchForProcessExit();
  double millis = times.contextMs + times.buildMs + times.lowerMs +
                  times.translateMs + times.optimizeMs + times.codegenMs +
                  times.loadMs + times.cacheMs;
  auto *step =
      new CompiledStep(config, std::move(engine),
                       reinterpret_cast<CompiledStep::KernelFn>(address), pool,
                       numThreads, millis, std::move(loweredIR));
  step->breakdown = times;
  step->normKernel = reinterpret_cast<CompiledStep::NormFn>(normAddress);
  step->quantizedKernel =
      reinterpret_cast<CompiledStep::QuantizedKernelFn>(quantizedAddress);
  return std::shared_ptr<const CompiledStep>(step);
}

llvm::Expected<std::shared_ptr<const CompiledStep>>
Compiler::Impl::compile(const StepConfig &config) {
  if (config.target == Target::CPU)
    return getCpuStep(config);
  // GPU steps (not kept in the disk cache: their module is loaded by the
  // engine's initialisers) are JIT-compiled by an ExecutionEngine.
  auto start = std::chrono::steady_clock::now();
  MLIRContext &context = getContext();
  OwningOpRef<ModuleOp> module =
      ::optim::detail::buildStepKernel(&context, config);
  std::string loweredIR;
  std::string *keepIR = options.keepLoweredIR ? &loweredIR : nullptr;
  std::string symbol = ("_mlir_ciface_" + ::optim::detail::kKernelName).str();
  bool gpu = config.target == Target::GPU;
  llvm::SmallVector<llvm::StringRef> sharedLibs;
  if (gpu) {
#ifdef OPTIM_CUDA_RUNTIME_LIBRARY
    const cuda::Driver &driver = cuda::Driver::instance();
    if (!driver.available())
      return llvm::createStringError("no CUDA device: " +
                                     driver.unavailableReason());
    // The lowered host code launches through the project's mgpu* layer
    // (OPTIM_CUDA_RUNTIME_LIBRARY overrides the build tree's copy, for
    // binaries carried to another machine).
    sharedLibs.push_back(getCudaRuntimeLibrary());
#else
    return llvm::createStringError(
        "this optim was built without the CUDA headers: no GPU target");
#endif
  }
  auto engine = lower(
      *module,
      [&](OpPassManager &pm, llvm::raw_ostream &os) {
        return buildStepPipeline(config, pm, os);
      },
      sharedLibs, keepIR, /*stepKernels=*/true);
  if (!engine)
    return engine.takeError();
  CompiledStep::KernelFn kernel = nullptr;
  CompiledStep::PackedFn packed = nullptr, quantizedPacked = nullptr,
                         normPacked = nullptr;
#ifdef OPTIM_CUDA_RUNTIME_LIBRARY
  const char *cudaRuntimeLibrary = getCudaRuntimeLibrary();
#else
  const char *cudaRuntimeLibrary = nullptr;
#endif
  auto gpuState =
      ::optim::detail::createGpuState(/*onDevice=*/gpu, cudaRuntimeLibrary);
  if (!gpuState)
    return gpuState.takeError();
  {
    // The kernel module is loaded by the engine's global constructors; a
    // module the driver rejects is an error of this compilation.
    if (gpu)
      (*gpuState)->errors.clearError();
    (*engine)->engine->initialize();
    if (gpu)
      if (const char *error = (*gpuState)->errors.lastError())
        return llvm::createStringError(
            std::string("loading the GPU module failed: ") + error);
    auto address = (*engine)->engine->lookupPacked(symbol);
    if (!address)
      return address.takeError();
    packed = *address;
    if (config.variant.clipGradNorm) {
      auto norm = (*engine)->engine->lookupPacked(
          ("_mlir_ciface_" + ::optim::detail::kGradNormKernelName).str());
      if (!norm)
        return norm.takeError();
      normPacked = *norm;
    }
    if (config.momentStorage == MomentStorage::blockwise8) {
      auto quantized = (*engine)->engine->lookupPacked(
          ("_mlir_ciface_" + ::optim::detail::kQuantizedKernelName).str());
      if (!quantized)
        return quantized.takeError();
      quantizedPacked = *quantized;
    }
  }
  if (!(*engine)->codegenErrors.empty())
    return llvm::createStringError("code generation failed:\n" +
                                   (*engine)->codegenErrors);
  ::optim::detail::watchForProcessExit();
  double millis = std::chrono::duration<double, std::milli>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  auto *step = new CompiledStep(config, std::move(*engine), kernel, pool,
                                numThreads, millis, std::move(loweredIR));
  step->packed = packed;
  step->quantizedPacked = quantizedPacked;
  step->normPacked = normPacked;
  step->gpu = std::move(*gpuState);
  return std::shared_ptr<const CompiledStep>(step);
}

llvm::Expected<std::shared_ptr<const CompiledStep>>
Compiler::getStep(const StepConfig &config) {
  if (llvm::Error error = config.verify())
    return std::move(error);
  std::string key = config.key();
  {
    std::lock_guard<std::mutex> lock(impl->cacheMutex);
    auto it = impl->cache.find(key);
    if (it != impl->cache.end()) {
      ++impl->stats.hits;
      return it->second;
    }
  }
  std::lock_guard<std::mutex> compileLock(impl->compileMutex);
  {
    // Another thread may have compiled it while we waited.
    std::lock_guard<std::mutex> lock(impl->cacheMutex);
    auto it = impl->cache.find(key);
    if (it != impl->cache.end()) {
      ++impl->stats.hits;
      return it->second;
    }
    ++impl->stats.misses;
  }
  auto step = impl->compile(config);
  if (!step)
    return step.takeError();
  std::lock_guard<std::mutex> lock(impl->cacheMutex);
  impl->cache[key] = *step;
  return *step;
}

llvm::Expected<std::string>
Compiler::getKernelSource(const StepConfig &config) {
  if (llvm::Error error = config.verify())
    return std::move(error);
  std::lock_guard<std::mutex> compileLock(impl->compileMutex);
  OwningOpRef<ModuleOp> module =
      ::optim::detail::buildStepKernel(&impl->getContext(), config);
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return text;
}

llvm::Error Compiler::verifyAotName(llvm::StringRef name) {
  auto isStart = [](char c) { return llvm::isAlpha(c) || c == '_'; };
  if (name.empty() || name.size() > 64 || !isStart(name.front()) ||
      !llvm::all_of(name,
                    [&](char c) { return isStart(c) || llvm::isDigit(c); }))
    return llvm::createStringError(
        "the entry point's name must be a C identifier of at most 64 "
        "characters, got '" +
        name + "'");
  return llvm::Error::success();
}

llvm::Expected<std::string> Compiler::emitObject(const StepConfig &config,
                                                 const AotOptions &options) {
  if (llvm::Error error = config.verify())
    return std::move(error);
  if (llvm::Error error = verifyAotName(options.name))
    return std::move(error);
  // The object would export only the f32-moment entry that small tensors
  // take; the 8-bit one, with its absmax buffers, has no C declaration.
  if (config.momentStorage == MomentStorage::blockwise8)
    return llvm::createStringError(
        "8-bit blockwise moments are not compiled ahead of time: their "
        "kernel's codes and absmax buffers have no C declaration; use the "
        "JIT runtime (optim::Optimizer or CompiledStep)");
  CpuTarget cpu = impl->getHostTarget();
  if (!options.cpu.empty()) {
    llvm::Expected<CpuTarget> named = getNamedCpuTarget(options.cpu);
    if (!named)
      return named.takeError();
    cpu = std::move(*named);
  }
  std::lock_guard<std::mutex> compileLock(impl->compileMutex);
  CompileBreakdown times;
  return impl->emitStepObject(config, times, nullptr, options.name, &cpu);
}

// The header spells the scalar slots out.
static_assert(::optim::detail::kGradScale == 10 &&
                  ::optim::detail::kGradNorm == 11 &&
                  ::optim::detail::kMaxGradNorm == 12 &&
                  ::optim::detail::kRoundingSeed == 13 &&
                  ::optim::detail::kRoundingElement == 16 &&
                  ::optim::detail::kNumScalarSlots == 17,
              "update the scalar slots of getAotHeader");

std::string Compiler::getAotHeader(const StepConfig &config,
                                   const AotOptions &options) {
  llvm::StringRef name = options.name;
  bool table = ::optim::detail::usesGroupTable(config);
  std::string h;
  llvm::raw_string_ostream os(h);
  std::string entry = ("_mlir_ciface_" + name).str();
  const AdamVariant &v = config.variant;
  os << "// optim ahead-of-time step: " << config.key() << "\n"
     << "// Generated by optim; link the object";
  if (config.target == Target::GPU)
    os << " with liboptim_cuda_runtime.so;\n// buffers are device pointers";
  os << ".\n// It calls libm's pow: link C hosts with -lm. It is built for ";
  if (options.cpu.empty())
    os << "the CPU of the\n// machine that built it (its vector extensions): "
          "run it on hosts that have\n// them, or build with --cpu.\n";
  else
    os << "CPUs of type " << options.cpu << "\n// and their successors.\n";
  os << "// Nothing is checked at run time: pass scalars the JIT runtime "
        "accepts\n// (optim::StepScalars::verify)"
     << (table ? ".\n"
               : "; buffers of unequal sizes abort the process\n// with a "
                 "message on stdout.\n")
     << "#ifndef OPTIM_AOT_" << name.upper() << "_H\n#define OPTIM_AOT_"
     << name.upper() << "_H\n\n"
     << "#include <stdint.h>\n\n"
     << "/* What every optim-aot header declares (once, when several are "
        "included). */\n#ifndef OPTIM_AOT_COMMON_H\n#define "
        "OPTIM_AOT_COMMON_H\n"
     << "/* A 1-d memref descriptor (MLIR's C interface). The step reads "
        "`aligned` and\n   `size` only: point `aligned` at the first "
        "element, with offset 0 and\n   stride 1 (contiguous). */\n"
     << "typedef struct {\n  void *allocated;\n  void *aligned;\n"
     << "  int64_t offset;\n  int64_t size;\n  int64_t stride;\n"
     << "} optim_memref1d;\n\n"
     << "/* The f64 scalar block: slots of the last argument. */\n"
     << "enum {\n  OPTIM_LR = 0,\n  OPTIM_BETA1 = 1,\n  OPTIM_BETA2 = 2,\n"
     << "  OPTIM_EPS = 3,\n  OPTIM_WEIGHT_DECAY = 4,\n  OPTIM_STEP = 5,\n"
     << "  OPTIM_BETA1_POWER = 6,\n  OPTIM_BETA2_POWER = 7,\n"
     << "  OPTIM_RESCALE_GRAD = 8,\n  OPTIM_CLIP_GRADIENT = 9,\n"
     << "  OPTIM_GRAD_SCALE = 10,\n  OPTIM_GRAD_NORM = 11,\n"
     << "  OPTIM_MAX_GRAD_NORM = 12,\n"
     << "  /* Stochastic rounding: uint64 values, their bits in the slot\n"
     << "     (memcpy); stream and element: where the call's piece starts. "
        "*/\n"
     << "  OPTIM_ROUNDING_SEED = 13,\n  OPTIM_ROUNDING_OFFSET = 14,\n"
     << "  OPTIM_ROUNDING_STREAM = 15,\n  OPTIM_ROUNDING_ELEMENT = 16,\n"
     << "  OPTIM_NUM_SCALARS = 17\n};\n"
     << "#endif\n\n"
     << "/* Element types: param and grad "
     << stringifyElementType(config.paramType)
     << ";\n   exp_avg, exp_avg_sq and max_exp_avg_sq "
     << stringifyElementType(getMomentElementType(config))
     << " (bf16 and f16: uint16_t bits). */\n"
     << "/* This step reads: lr, beta1, beta2, eps";
  if (v.weightDecay != WeightDecayMode::none)
    os << ", weight_decay";
  if (v.biasCorrection != BiasCorrection::none)
    os << (v.givenPowers ? ", beta1_power, beta2_power" : ", step");
  if (v.rescaleGrad)
    os << ", rescale_grad";
  if (v.clipGradient)
    os << ", clip_gradient";
  if (v.gradScale)
    os << ", grad_scale";
  if (v.clipGradNorm)
    os << ", grad_norm, max_grad_norm";
  if (v.stochasticRounding)
    os << ", the rounding slots";
  os << ". */\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n";
  if (!table) {
    os << "/* One tensor per call: param, grad, exp_avg, exp_avg_sq, "
          "max_exp_avg_sq\n   (AMSGrad only; otherwise ignored), then the "
          "scalar block. The buffers\n   must not overlap (the code assumes "
          "they do not: C's restrict). */\n"
       << "void " << entry
       << "(optim_memref1d *p, optim_memref1d *g,\n    optim_memref1d *m, "
          "optim_memref1d *v, optim_memref1d *vmax,\n    optim_memref1d "
          "*scalars);\n";
  } else {
    os << "/* The whole group in one launch, described by a table in device "
          "memory:\n   per tensor OPTIM_TABLE_ROW_WORDS int64 words, the "
          "device addresses of\n   param, grad, exp_avg, exp_avg_sq, "
          "max_exp_avg_sq (0 unless AMSGrad),\n   then the element count, "
          "then zeros. */\n"
       << "#define OPTIM_TABLE_ROW_WORDS " << mlir::optim::kGroupTableRowWords
       << "\n"
       << "/* table: the device table (size = rows * OPTIM_TABLE_ROW_WORDS); "
          "the five\n   templates: only their size, the group's total "
          "element count, is read. */\n"
       << "void " << entry
       << "(optim_memref1d *table, optim_memref1d *p,\n    optim_memref1d "
          "*g, optim_memref1d *m, optim_memref1d *v,\n    optim_memref1d "
          "*vmax, optim_memref1d *scalars);\n\n"
       << "/* The CUDA layer's errors (liboptim_cuda_runtime.so): the first "
          "failure on\n   this thread since the last clear, or NULL. */\n"
       << "#ifndef OPTIM_AOT_CUDA_ERRORS\n#define OPTIM_AOT_CUDA_ERRORS\n"
       << "const char *optimCudaLastError(void);\n"
       << "void optimCudaClearError(void);\n#endif\n\n"
       << "/* One step over `rows` tensors of `total` elements in all (the "
          "sum of the\n   rows' counts; rows >= 1): 0, or -1 with "
          "optimCudaLastError() saying\n   what failed (load, launch, ...). "
          "*/\n"
       << "static inline int " << name
       << "_run(void *device_table, int64_t rows,\n    int64_t total, "
          "double *scalars) {\n"
       << "  optim_memref1d t = {device_table, device_table, 0,\n"
       << "                      rows * OPTIM_TABLE_ROW_WORDS, 1};\n"
       << "  optim_memref1d tmpl = {0, 0, 0, total, 1};\n"
       << "  optim_memref1d s = {scalars, scalars, 0, OPTIM_NUM_SCALARS, 1};\n"
       << "  optimCudaClearError();\n"
       << "  " << entry << "(&t, &tmpl, &tmpl, &tmpl, &tmpl, &tmpl, &s);\n"
       << "  return optimCudaLastError() ? -1 : 0;\n}\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return h;
}

llvm::Expected<std::unique_ptr<JitModule>>
Compiler::compileModule(llvm::StringRef source, bool openmp) {
  std::lock_guard<std::mutex> compileLock(impl->compileMutex);
  DiagnosticCollector diagnostics(&impl->getContext());
  // MLIR's lexer reads up to a terminating NUL: a caller's text that ends
  // exactly at its allocation would be read past. Parse a terminated copy.
  std::string text = source.str();
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, &impl->getContext(), "user-module");
  if (!module)
    return diagnostics.error("could not parse the module");
  mlir::optim::CPUPipelineOptions pipeline;
  pipeline.openmp = openmp;
  pipeline.cInterface = true;
  pipeline.vectorSize = impl->hostVectorBytes / 4;
  std::string libomp = (llvm::Twine(MLIR_LIB_DIR) + "/libomp.so").str();
  llvm::SmallVector<llvm::StringRef> libs;
  if (openmp)
    libs.push_back(libomp);
  auto engine = impl->lower(
      *module,
      [&](OpPassManager &pm, llvm::raw_ostream &os) {
        return mlir::optim::buildOptimLowerToLLVMPipeline(pm, pipeline, os);
      },
      libs, nullptr);
  if (!engine)
    return engine.takeError();
  ::optim::detail::watchForProcessExit();
  return std::unique_ptr<JitModule>(new JitModule(std::move(*engine)));
}

//===----------------------------------------------------------------------===//
// JitEngine
//===----------------------------------------------------------------------===//

namespace optim::detail {

static std::atomic<bool> exiting{false};

void watchForProcessExit() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit([] { exiting = true; }); });
}

bool processIsExiting() { return exiting; }

JitEngine::~JitEngine() {
  if (processIsExiting()) {
    (void)engine.release();
    (void)objectJit.release();
  }
}

} // namespace optim::detail

//===----------------------------------------------------------------------===//
// JitModule
//===----------------------------------------------------------------------===//

JitModule::JitModule(std::unique_ptr<::optim::detail::JitEngine> engine)
    : engine(std::move(engine)) {}
JitModule::~JitModule() = default;

llvm::Expected<void *> JitModule::lookup(llvm::StringRef name) const {
  return engine->engine->lookup(("_mlir_ciface_" + name).str());
}

llvm::Error JitModule::invokePacked(llvm::StringRef name,
                                    llvm::MutableArrayRef<void *> args) const {
  return engine->engine->invokePacked(name, args);
}
