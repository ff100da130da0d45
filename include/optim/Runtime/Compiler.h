//===- Compiler.h - the optim JIT compiler ----------------------*- C++ -*-===//
//
// The runtime's front door. A Compiler owns an MLIRContext, the CPU pipeline
// and a cache of compiled steps keyed by StepConfig; compiled steps run in
// place on the caller's buffers, with per-step scalars as run-time
// arguments, their work split over a thread pool by total elements.
//
//   auto compiler = cantFail(optim::Compiler::create());
//   auto step = cantFail(compiler->getStep(
//       optim::StepConfig::forPreset(optim::Preset::TorchAdamW,
//                                    optim::ElementType::f32)));
//   optim::StepScalars s;  s.lr = 1e-3;  s.weightDecay = 1e-2;  s.step = t;
//   if (llvm::Error e = step->run(buffers, s)) ...
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_COMPILER_H
#define OPTIM_RUNTIME_COMPILER_H

#include "optim/Runtime/StepConfig.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace optim {

class Compiler;
namespace detail {
struct BufferExtent;
struct GpuState;
struct JitEngine;
class WorkerPool;
} // namespace detail

/// Where the time of one step's compilation went, in milliseconds. A step
/// loaded from the disk cache has only cacheMs (reading the entry) and
/// loadMs (linking it).
struct CompileBreakdown {
  double contextMs = 0;   ///< creating the MLIR context (a Compiler's first)
  double buildMs = 0;     ///< generating the kernel's MLIR
  double lowerMs = 0;     ///< the MLIR pipeline to the LLVM dialect
  double translateMs = 0; ///< translation to LLVM IR
  double optimizeMs = 0;  ///< LLVM's IR optimisation pipeline
  double codegenMs = 0;   ///< machine code generation (an object file)
  double loadMs = 0;      ///< linking the object into the process
  double cacheMs = 0;     ///< reading or writing the disk cache entry
  bool fromDiskCache = false;
};

/// A compiled step: immutable, shareable, callable from many threads at once
/// (on disjoint buffers). CPU steps take host buffers; GPU steps take device
/// buffers (CUdeviceptr values) and launch one kernel per parameter group.
class CompiledStep {
public:
  ~CompiledStep();

  /// Updates every parameter of `params` in place. All arguments are checked
  /// first; on error nothing has been written.
  llvm::Error run(llvm::ArrayRef<ParamBuffers> params,
                  const StepScalars &scalars) const;

  /// Same, on the calling thread only (no pool hand-off).
  llvm::Error runSerial(llvm::ArrayRef<ParamBuffers> params,
                        const StepScalars &scalars) const;

  /// Global-norm clipping (AdamVariant::clipGradNorm): the sum of the
  /// squares of every gradient element of `params`, each first unscaled by
  /// `scalars.gradScale` when the step takes one, as
  /// torch.nn.utils.clip_grad_norm_ sees them after GradScaler.unscale_.
  /// One pass over the gradients on the pool's threads; the group is cut
  /// into fixed chunks whatever the thread count, so the result is the same
  /// bits for any number of threads. Only the gradients are read; they are
  /// checked (null, misaligned, sizes) first. Squared sums of several groups
  /// add up to the square of their global norm. On GPU targets the norm is
  /// one launch over the group (a tree per block, the blocks' sums added on
  /// the host in block order: the same bits for the same launch shape), and
  /// this is its square.
  llvm::Expected<double>
  computeGradSquaredNorm(llvm::ArrayRef<ParamBuffers> params,
                         const StepScalars &scalars) const;
  /// Its square root: the value `scalars.gradNorm` of the step expects.
  llvm::Expected<double> computeGradNorm(llvm::ArrayRef<ParamBuffers> params,
                                         const StepScalars &scalars) const;

  /// One group of a multi-group step: its compiled step, its buffers and
  /// its scalars (e.g. torch's param groups, each with its own weight decay).
  struct StepGroup {
    const CompiledStep *step = nullptr;
    llvm::ArrayRef<ParamBuffers> params;
    const StepScalars *scalars = nullptr;
  };
  /// Runs several groups as one step. Every group is checked, and every
  /// written buffer of every group is checked disjoint from all the others,
  /// before any group runs: on a bad argument nothing has been written. The
  /// groups' steps must share a target.
  static llvm::Error runGroups(llvm::ArrayRef<StepGroup> groups);

  const StepConfig &getConfig() const { return config; }
  /// Wall time of the compilation (or disk cache load) that produced this
  /// step.
  double getCompileMillis() const { return compileMillis; }
  /// The same, by phase (CPU steps).
  const CompileBreakdown &getCompileBreakdown() const { return breakdown; }
  /// The LLVM dialect module the kernel was generated from (for inspection).
  const std::string &getLoweredIR() const { return loweredIR; }

private:
  friend class Compiler;
  /// The kernel's C interface: 1-d strided memref descriptors for p, g, m, v,
  /// vmax and the scalar block.
  struct Descriptor {
    void *allocated;
    void *aligned;
    int64_t offset;
    int64_t size;
    int64_t stride;
  };
  using KernelFn = void (*)(Descriptor *, Descriptor *, Descriptor *,
                            Descriptor *, Descriptor *, Descriptor *);
  /// The step of a piece of a tensor with 8-bit moments: p, g, the codes of
  /// m and v, their absmaxes, the scalar block.
  using QuantizedKernelFn = void (*)(Descriptor *, Descriptor *, Descriptor *,
                                     Descriptor *, Descriptor *, Descriptor *,
                                     Descriptor *);
  /// The norm of one piece of a gradient (StepKernel.h).
  using NormFn = double (*)(Descriptor *, Descriptor *);
  /// The GPU kernel's host launcher, called through ExecutionEngine's packed
  /// interface (its argument count depends on the group size).
  using PackedFn = void (*)(void **);

  CompiledStep(StepConfig config, std::unique_ptr<detail::JitEngine> engine,
               KernelFn kernel, std::shared_ptr<detail::WorkerPool> pool,
               unsigned numThreads, double compileMillis,
               std::string loweredIR);

  llvm::Error validate(llvm::ArrayRef<ParamBuffers> params,
                       const StepScalars &scalars) const;
  /// The checks of one group; appends its buffers' extents to `extents`.
  /// `group` < 0 for a plain step (messages then name no group).
  llvm::Error collectExtents(llvm::ArrayRef<ParamBuffers> params,
                             const StepScalars &scalars, int64_t group,
                             std::vector<detail::BufferExtent> &extents) const;
  llvm::Error runValidated(llvm::ArrayRef<ParamBuffers> params,
                           const StepScalars &scalars, bool parallel) const;
  void runRange(llvm::ArrayRef<ParamBuffers> params, const double *scalarBlock,
                int64_t begin, int64_t end) const;
  llvm::Error runImpl(llvm::ArrayRef<ParamBuffers> params,
                      const StepScalars &scalars, bool parallel) const;
  /// One launch over the group, passed as a table, and one per tensor with
  /// 8-bit moments (GpuStep.cpp); errors of the CUDA layer are returned.
  llvm::Error runOnGpu(llvm::ArrayRef<ParamBuffers> params,
                       const double *scalarBlock) const;
  /// The table's address for the kernel: `table` itself, or its device copy.
  llvm::Expected<void *> getTableAddress(std::vector<int64_t> &table) const;
  /// The group's gradient norm in one launch over its table (GpuStep.cpp).
  llvm::Expected<double> computeGradNormOnGpu(
      llvm::ArrayRef<ParamBuffers> params, const double *scalarBlock) const;

  StepConfig config;
  std::unique_ptr<detail::JitEngine> engine;
  KernelFn kernel = nullptr;
  PackedFn packed = nullptr;
  /// Steps with global-norm clipping (CPU).
  NormFn normKernel = nullptr;
  /// Steps with 8-bit moments (CPU): the tensors that store them.
  QuantizedKernelFn quantizedKernel = nullptr;
  /// Steps with 8-bit moments (GPU): the host launcher of one tensor's
  /// kernel (a block of threads per quantisation block), packed arguments.
  PackedFn quantizedPacked = nullptr;
  /// GPU steps with global-norm clipping: the launcher of the group's norm.
  PackedFn normPacked = nullptr;
  /// GPU steps: the device copies of recent group tables, and the CUDA
  /// layer's error channel.
  std::unique_ptr<detail::GpuState> gpu;
  /// Shared with the Compiler: a step may outlive it.
  std::shared_ptr<detail::WorkerPool> pool;
  unsigned numThreads;
  double compileMillis;
  CompileBreakdown breakdown;
  std::string loweredIR;
};

/// A user's MLIR module (optim ops on memrefs, in any functions) compiled
/// through the same CPU pipeline.
class JitModule {
public:
  ~JitModule();
  /// The address of `_mlir_ciface_<name>` (every function gets a C
  /// interface: memrefs are passed as pointers to descriptors).
  llvm::Expected<void *> lookup(llvm::StringRef name) const;
  /// Calls `name` with packed arguments, as ExecutionEngine::invokePacked.
  llvm::Error invokePacked(llvm::StringRef name,
                           llvm::MutableArrayRef<void *> args) const;

private:
  friend class Compiler;
  explicit JitModule(std::unique_ptr<detail::JitEngine> engine);
  std::unique_ptr<detail::JitEngine> engine;
};

struct CompilerOptions {
  /// Threads a step may use; 0 means every hardware thread.
  unsigned numThreads = 0;
  /// Keep the lowered LLVM dialect IR of each step
  /// (CompiledStep::getLoweredIR). Such steps are always compiled, never
  /// loaded from the disk cache.
  bool keepLoweredIR = false;
  /// Keep compiled CPU steps on disk, and load them there instead of
  /// compiling in later processes (and later Compilers). Entries are keyed
  /// by the configuration, optim's build, the LLVM version and the host CPU
  /// and its features. The environment variable OPTIM_CACHE_DISABLE=1 turns
  /// the cache off whatever this says. GPU steps are not kept on disk.
  bool diskCache = true;
  /// The cache directory; empty means $OPTIM_CACHE_DIR, else
  /// $XDG_CACHE_HOME/optim, else ~/.cache/optim.
  std::string cacheDirectory;
};

struct CacheStats {
  /// getStep requests served from memory.
  uint64_t hits = 0;
  /// getStep requests that had to load or compile.
  uint64_t misses = 0;
  /// Steps held in memory.
  uint64_t entries = 0;
  /// Misses served from the disk cache.
  uint64_t diskLoads = 0;
  /// Misses compiled (also when the disk cache is off).
  uint64_t compiles = 0;
  /// Disk entries written, and writes that failed (the step still runs).
  uint64_t diskStores = 0;
  uint64_t diskStoreFailures = 0;
  /// Disk entries found corrupt (truncated, bad checksum, another key) or
  /// that did not link, and so compiled and rewritten.
  uint64_t diskRejected = 0;
};

/// How an ahead-of-time object is made (Compiler::emitObject).
struct AotOptions {
  /// The entry point is `_mlir_ciface_<name>` (and `<name>_run` on the
  /// GPU): a C identifier of at most 64 characters.
  std::string name = "optim_step";
  /// The CPU the object runs on, an LLVM CPU name (x86-64, x86-64-v3,
  /// skylake-avx512, znver4, ...): the vector width and instructions follow
  /// its features. Empty: this host's CPU and features.
  std::string cpu;
};

class Compiler {
public:
  static llvm::Expected<std::unique_ptr<Compiler>>
  create(const CompilerOptions &options = {});
  ~Compiler();

  /// The compiled step for `config`: compiled on first request, then served
  /// from the cache. Thread-safe; concurrent first requests compile once.
  llvm::Expected<std::shared_ptr<const CompiledStep>>
  getStep(const StepConfig &config);

  /// Parses `source` and compiles it through the CPU pipeline (optim ops
  /// lower in place; tensors are bufferized). With `openmp`, parallel chunks
  /// run on libomp threads.
  llvm::Expected<std::unique_ptr<JitModule>>
  compileModule(llvm::StringRef source, bool openmp = false);

  /// Ahead of time: the step for `config` as a relocatable object file,
  /// exporting `_mlir_ciface_<options.name>` and no other symbol (see
  /// getAotHeader), so that objects of different names link into one
  /// program; compiled for this host's CPU, or for `options.cpu`. A GPU
  /// object embeds the kernel as PTX and launches it through the mgpu*
  /// functions of liboptim_cuda_runtime.so: a GPU host needs neither LLVM
  /// nor ptxas. 8-bit blockwise moments are refused (their entry has no C
  /// declaration).
  llvm::Expected<std::string> emitObject(const StepConfig &config,
                                         const AotOptions &options = {});

  /// The C header that declares an emitted object's entry point and the
  /// layout of its arguments (headers of several names may be included
  /// together).
  static std::string getAotHeader(const StepConfig &config,
                                  const AotOptions &options = {});
  /// A name emitObject accepts: a C identifier of at most 64 characters.
  static llvm::Error verifyAotName(llvm::StringRef name);

  /// The step kernel's MLIR (before lowering), as the runtime generates it.
  llvm::Expected<std::string> getKernelSource(const StepConfig &config);

  CacheStats getCacheStats() const;
  /// The disk cache directory in use, or "" when the disk cache is off.
  std::string getCacheDirectory() const;
  unsigned getNumThreads() const;

private:
  struct Impl;
  explicit Compiler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace optim

#endif // OPTIM_RUNTIME_COMPILER_H
