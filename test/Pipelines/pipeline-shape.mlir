// RUN: optim-opt %s --optim-lower-to-llvm --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 c-interface=1 fast-math=1 vector-size=8 chunk-size=0" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU-OPTS
// RUN: optim-opt %s --optim-lower-to-nvvm="chip=sm_80 block-size=128 precise-math=0" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPU
// RUN: not optim-opt %s --optim-lower-to-llvm="vector-size=0" 2>&1 | FileCheck %s --check-prefix=BAD-CPU
// RUN: not optim-opt %s --optim-lower-to-llvm="vector-size=4294967296" 2>&1 | FileCheck %s --check-prefix=HUGE-CPU
// RUN: not optim-opt %s --optim-lower-to-nvvm="format=elf" 2>&1 | FileCheck %s --check-prefix=BAD-GPU
// RUN: not optim-opt %s --optim-lower-to-nvvm="vector-width=3" 2>&1 | FileCheck %s --check-prefix=GPU-WIDTH
// RUN: not optim-opt %s --optim-lower-to-emulated-gpu="vector-width=4294967296" 2>&1 | FileCheck %s --check-prefix=EMU-WIDTH
// RUN: not optim-opt %s --optim-lower-to-nvvm="block-size=2048" 2>&1 | FileCheck %s --check-prefix=GPU-SHAPE
// RUN: not optim-opt %s --optim-lower-to-nvvm="max-blocks=4294967296" 2>&1 | FileCheck %s --check-prefix=GPU-SHAPE
// An unknown chip was a warning and PTX for a chip that does not exist; an
// empty one crashed the NVVM target's verifier.
// RUN: not optim-opt %s --optim-lower-to-nvvm="chip=" 2>&1 | FileCheck %s --check-prefix=GPU-CHIP -DCHIP=
// RUN: not optim-opt %s --optim-lower-to-nvvm="chip=sm_76" 2>&1 | FileCheck %s --check-prefix=GPU-CHIP -DCHIP=sm_76
// RUN: not optim-opt %s --optim-lower-to-nvvm="chip=sm_70" 2>&1 | FileCheck %s --check-prefix=GPU-CHIP -DCHIP=sm_70
// RUN: not optim-opt %s --optim-lower-to-nvvm="features=+ptx999" 2>&1 | FileCheck %s --check-prefix=GPU-FEATURES -DFEATURES=+ptx999
// RUN: not optim-opt %s --optim-lower-to-nvvm="features=garbage" 2>&1 | FileCheck %s --check-prefix=GPU-FEATURES -DFEATURES=garbage

// The registered pipelines are built from the passes' create functions and
// option structs (lib/Pipelines); this pins their shape and how the options
// reach the passes. The runtime builds the same pipelines.

// CPU:      builtin.module(
// CPU-NEXT:   canonicalize{
// CPU-NEXT:   one-shot-bufferize{{{.*}} bufferize-function-boundaries=true {{.*}}function-boundary-type-conversion=identity-layout-map
// CPU-NEXT:   convert-optim-to-linalg{fast-math=false},
// CPU-NEXT:   func.func(
// CPU-NEXT:     optim-vectorize-elementwise{avx512-lookups=false chunk-size=65536 vector-size=16}
// CPU-NEXT:     optim-vectorize-reduction{chunk-size=65536 vector-size=16}
// CPU-NEXT:   ),
// CPU-NEXT:   convert-linalg-to-loops,
// CPU-NEXT:   arith-expand{include-bf16=true
// CPU-NEXT:   scf-forall-to-parallel,
// CPU-NEXT:   convert-scf-to-openmp{
// CPU-NEXT:   canonicalize{
// CPU-NEXT:   cse,
// CPU-NEXT:   func.func(
// CPU-NEXT:     lower-vector-mask
// CPU-NEXT:   ),
// CPU-NEXT:   func.func(
// CPU-NEXT:     lower-vector-multi-reduction{lowering-strategy=inner-reduction}
// CPU-NEXT:   ),
// CPU-NEXT:   convert-vector-to-scf{
// CPU-NEXT:   expand-strided-metadata,
// CPU-NEXT:   lower-affine,
// CPU-NEXT:   finalize-memref-to-llvm{
// CPU-NEXT:   func.func(
// CPU-NEXT:     optim-split-blocks-after-loops
// CPU-NEXT:   ),
// CPU-NEXT:   convert-scf-to-cf{allow-pattern-rollback=false}
// CPU-NEXT:   convert-vector-to-llvm{
// CPU-NEXT:   convert-to-llvm{
// CPU-NEXT:   reconcile-unrealized-casts
// CPU-NEXT:   optim-check-lowered-to-llvm
// CPU-NEXT: )

// CPU-OPTS:      convert-optim-to-linalg{fast-math=true},
// CPU-OPTS:        optim-vectorize-elementwise{avx512-lookups=false chunk-size=0 vector-size=8}
// CPU-OPTS-NEXT:   optim-vectorize-reduction{chunk-size=0 vector-size=8}
// CPU-OPTS-NOT:  scf-forall-to-parallel
// CPU-OPTS-NOT:  convert-scf-to-openmp
// CPU-OPTS:      scf-forall-to-for,
// CPU-OPTS:      convert-vector-to-llvm{
// CPU-OPTS-NEXT: func.func(
// CPU-OPTS-NEXT:   llvm-request-c-wrappers
// CPU-OPTS-NEXT: ),
// CPU-OPTS-NEXT: convert-to-llvm{

// GPU:      builtin.module(
// GPU-NEXT:   canonicalize{
// GPU-NEXT:   one-shot-bufferize{
// GPU-NEXT:   convert-optim-to-linalg{fast-math=false},
// GPU-NEXT:   func.func(
// GPU-NEXT:     optim-map-elementwise-to-gpu{block-size=128 max-blocks=2048 precise-math=false test-stride-offset=0 vector-bytes=16}
// GPU-NEXT:   ),
// GPU-NEXT:   canonicalize{
// GPU-NEXT:   cse,
// GPU:        gpu-kernel-outlining{
// GPU:        nvvm-attach-target{O=3 chip=sm_80 {{.*}}features=+ptx80
// GPU:        gpu-to-llvm{
// GPU-NEXT:   gpu-module-to-binary{format=isa

// BAD-CPU: error: optim-lower-to-llvm: vector-size must be a power of two from 1 to 64, got 0
// HUGE-CPU: error: optim-lower-to-llvm: vector-size must be a power of two from 1 to 64, got 4294967296
// BAD-GPU: error: optim-lower-to-nvvm: format must be isa, bin or fatbin, got 'elf'
// GPU-WIDTH: error: optim-lower-to-nvvm: vector-width must be a power of two from 1 to 64, got 3
// EMU-WIDTH: error: optim-lower-to-emulated-gpu: vector-width must be a power of two from 1 to 64, got 4294967296
// GPU-SHAPE: error: optim-lower-to-nvvm: block-size must be from 1 to 1024 and max-blocks from 1 to 2^31-1
// GPU-CHIP: error: optim-lower-to-nvvm: chip must be an NVIDIA chip of sm_75 or newer that LLVM 22 knows {{.*}}, got '[[CHIP]]'
// GPU-FEATURES: error: optim-lower-to-nvvm: features must be empty or PTX versions LLVM 22 knows {{.*}}, got '[[FEATURES]]'


module {
}
