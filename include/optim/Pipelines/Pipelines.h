//===- Pipelines.h - optim's registered pass pipelines ----------*- C++ -*-===//
//
// One front door, two back ends: both pipelines start with the shared
// optim-to-linalg conversion and diverge after it.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_PIPELINES_PIPELINES_H
#define OPTIM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::optim {

/// The front both back ends share: canonicalize, bufferize tensor steps in
/// place, convert-optim-to-linalg.
void buildOptimToLinalgPipeline(OpPassManager &pm, bool fastMath = false);

struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<int64_t> vectorSize{
      *this, "vector-size",
      llvm::cl::desc("Elements per vector (16 x f32 = one AVX-512 register)"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> chunkSize{
      *this, "chunk-size",
      llvm::cl::desc("Elements per parallel chunk; 0 keeps the step "
                     "single-threaded (the runtime splits work itself)"),
      llvm::cl::init(65536)};
  PassOptions::Option<bool> openmp{
      *this, "openmp",
      llvm::cl::desc("Run the parallel chunks on OpenMP threads (needs "
                     "libomp at run time); otherwise run them in sequence"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fastMath{
      *this, "fast-math",
      llvm::cl::desc("f32 steps use reciprocal (square root) estimates refined "
                     "by one Newton step; relative error below 2^-20"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> cInterface{
      *this, "c-interface",
      llvm::cl::desc("Emit _mlir_ciface_ wrappers for every function"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> nativeBf16{
      *this, "native-bf16",
      llvm::cl::desc("Leave f32 -> bf16 truncation to the target's "
                     "instruction (AVX512-BF16 vcvtneps2bf16: one per vector, "
                     "but no runtime library to fall back on and subnormal "
                     "inputs flushed to zero); off: round to nearest even in "
                     "integer arithmetic"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> avx512Lookups{
      *this, "avx512-lookups",
      llvm::cl::desc("Table lookups (8-bit moments' code tables) as AVX-512 "
                     "vpermps/vpermi2ps permutes of in-register tables "
                     "instead of gathers (16-lane f32 vectors; needs "
                     "AVX-512F)"),
      llvm::cl::init(false)};
};

/// optim (tensors or memrefs) -> bufferized, in place -> linalg -> tiled,
/// parallel, vectorised loops -> LLVM dialect. The passes are added by their
/// typed create functions, so nothing needs to be in the global registry.
/// Fails, with the reason on `errorStream` and `pm` unchanged, for option
/// values no pass could run with.
LogicalResult buildOptimLowerToLLVMPipeline(OpPassManager &pm,
                                            const CPUPipelineOptions &options,
                                            llvm::raw_ostream &errorStream);

/// The CPU pipeline's back half: scheduled linalg/scf/vector/memref IR (any
/// linalg left becomes loops) to the LLVM dialect. Shared with the emulated
/// GPU pipeline, whose kernels arrive as loops.
void buildOptimLoopsToLLVMPipeline(OpPassManager &pm, bool openmp,
                                   bool cInterface, bool nativeBf16 = false);

/// The textual form of the CPU pipeline, as a `builtin.module(...)` pass
/// pipeline (for logs and reproducers); empty if it does not build.
std::string
getOptimLowerToLLVMPipelineString(const CPUPipelineOptions &options);

struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("NVIDIA target, e.g. sm_90 or sm_80"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> features{
      *this, "features", llvm::cl::desc("PTX version feature, e.g. +ptx80"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary: isa (PTX text), bin (cubin via ptxas), "
                     "fatbin"),
      llvm::cl::init("isa")};
  PassOptions::Option<int64_t> blockSize{*this, "block-size",
                                         llvm::cl::desc("Threads per block"),
                                         llvm::cl::init(256)};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("32-bit words per vector access (4 = one 16-byte "
                     "ld.global.v4.f32)"),
      llvm::cl::init(4)};
  PassOptions::Option<bool> preciseMath{
      *this, "precise-math",
      llvm::cl::desc("Correctly rounded sqrt (sqrt.rn), matching the CPU; "
                     "off selects sqrt.approx (divisions stay div.rn)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> maxBlocks{
      *this, "max-blocks",
      llvm::cl::desc("Upper bound on the grid (grid-stride loops cover the "
                     "rest)"),
      llvm::cl::init(2048)};
  PassOptions::Option<int64_t> testStrideOffset{
      *this, "test-stride-offset",
      llvm::cl::desc("Testing only: a deliberate indexing bug (added to the "
                     "grid stride) that conformance runs must catch"),
      llvm::cl::init(0)};
};

/// The kernels exactly as the GPU back end maps them, run on the host:
/// `block-size` and `max-blocks` shape the launch as on a device (small
/// values make the grid-stride loops wrap many times), and every block and
/// thread becomes a loop iteration.
struct EmulatedGPUPipelineOptions
    : public PassPipelineOptions<EmulatedGPUPipelineOptions> {
  PassOptions::Option<int64_t> blockSize{*this, "block-size",
                                         llvm::cl::desc("Threads per block"),
                                         llvm::cl::init(256)};
  PassOptions::Option<int64_t> maxBlocks{
      *this, "max-blocks", llvm::cl::desc("Upper bound on the grid"),
      llvm::cl::init(2048)};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("32-bit words per vector access, as on the device"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> testStrideOffset{
      *this, "test-stride-offset",
      llvm::cl::desc("Testing only: added to the kernels' grid strides"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> cInterface{
      *this, "c-interface",
      llvm::cl::desc("Emit _mlir_ciface_ wrappers for every function"),
      llvm::cl::init(false)};
};

/// optim -> linalg -> the GPU mapping (precise math) -> launches as loops
/// over blocks and threads -> the CPU pipeline's back half -> LLVM dialect.
/// Only the NVVM/PTX translation of the real back end is not exercised.
LogicalResult
buildOptimLowerToEmulatedGPUPipeline(OpPassManager &pm,
                                     const EmulatedGPUPipelineOptions &options,
                                     llvm::raw_ostream &errorStream);

/// optim -> linalg -> one gpu.launch per step -> NVVM -> PTX/cubin, with the
/// host side lowered to LLVM calls of the mgpu* runtime functions. Fails, as
/// the CPU pipeline does, for unusable option values.
LogicalResult buildOptimLowerToNVVMPipeline(OpPassManager &pm,
                                            const GPUPipelineOptions &options,
                                            llvm::raw_ostream &errorStream);

/// The textual form of the GPU pipeline; empty if it does not build.
std::string
getOptimLowerToNVVMPipelineString(const GPUPipelineOptions &options);

/// Registers `optim-lower-to-llvm`, `optim-lower-to-nvvm` and
/// `optim-lower-to-emulated-gpu` (for optim-opt;
/// the runtime builds the pipelines directly).
void registerOptimPipelines();

} // namespace mlir::optim

#endif // OPTIM_PIPELINES_PIPELINES_H
