//===- Passes.td - schedules for element-wise linalg ------*- tablegen -*-===//
//
// Code generation passes: they take the element-wise linalg.generic ops that
// convert-optim-to-linalg produces (or any 1-d, all-parallel, identity-
// indexed generic on memrefs) and schedule them for a back end. They know
// nothing of the optim dialect.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_CODEGEN_PASSES_TD
#define OPTIM_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def OptimVectorizeElementwise
    : Pass<"optim-vectorize-elementwise", "func::FuncOp"> {
  let summary = "Tile, parallelise and vectorise elementwise linalg.generic ops";
  let description = [{
    Prepares 1-d, all-parallel, identity-indexed `linalg.generic` ops on
    memrefs (what optim steps lower to) for the CPU: the iteration space is
    split into `scf.forall` chunks of `chunk-size` elements (the unit of
    multithreading), each chunk is tiled by `vector-size`, the loop is
    peeled so that the main loop has a static trip shape, and both parts are
    vectorised with the linalg vectoriser: full-width unmasked vectors in the
    main loop, a masked vector for the tail. Ops whose innermost dimension cannot be tiled are left alone.

    The generics of a block of 8-bit moments (`optim.quant_block`) are only
    vectorised, their block reduction whole. Their table lookups (a
    `tensor.extract` from a `bufferization.to_tensor` of a constant global)
    become gathers from the global; with `avx512-lookups` a 16-lane gather
    from a constant table of at most 256 f32 becomes in-register permutes
    (`vpermps` for 16 entries, `vpermi2ps` per 32, a select tree over the
    index's higher bits), which cost a few cycles where a gather costs tens.
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"16",
           "Elements per vector (16 x f32 fills an AVX-512 register)">,
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"65536",
           "Elements per scf.forall iteration; 0 disables the forall level">,
    Option<"avx512Lookups", "avx512-lookups", "bool", /*default=*/"false",
           "Lower gathers from small constant f32 tables to AVX-512 "
           "permutes (needs AVX-512F)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def OptimVectorizeReduction
    : Pass<"optim-vectorize-reduction", "func::FuncOp"> {
  let summary = "Vectorise and parallelise flat sum reductions";
  let description = [{
    The CPU schedule for 1-d `linalg.generic` sum reductions on memrefs (what
    `optim.global_norm` lowers to): one input with the identity map, a 0-d
    output, and a body that yields `acc + f(x)` (`arith.addf`) where `f` is
    made of element-wise arith/math ops. Each op becomes

      - with `chunk-size > 0`, an `scf.forall` over chunks (the threads'
        unit), each writing its partial sum to a buffer, then a sequential
        sum of the partials in chunk order (deterministic for any thread
        count);
      - in each chunk, an `scf.for` over full vectors of `vector-size`
        elements carrying a vector of partial sums (`f` applied lane-wise,
        one `vector.transfer_read` per iteration), a `vector.reduction` at
        the end, and a scalar loop over the remaining elements;
      - the output's previous value plus the total, stored once.

    The sum is reassociated (lane-wise, then by chunk), as every vectorised
    reduction is. Other generics are left alone.
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"16",
           "Elements per vector">,
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"65536",
           "Elements per scf.forall iteration; 0 disables the forall level">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def OptimMapElementwiseToGPU
    : Pass<"optim-map-elementwise-to-gpu", "func::FuncOp"> {
  let summary = "Map each optimizer step's element-wise generics to one gpu.launch";
  let description = [{
    The GPU counterpart of optim-vectorize-elementwise. Consecutive 1-d
    element-wise `linalg.generic` ops on memrefs (those of one optimizer
    step, one per parameter; only side-effect-free ops between them) become
    a single `gpu.launch` in which every thread walks every parameter with a
    grid-stride loop: a parameter group of any size is one launch with a
    bounded grid. Parameters whose buffers are all `vector-bytes`-aligned
    move whole vectors (`vector.load`/`vector.store` carrying the alignment,
    so PTX gets `ld.global.v4.f32`); the remainder and unaligned parameters
    take a scalar loop. With `precise-math`, f32 square roots are
    `llvm.sqrt` (PTX `sqrt.rn.f32`, correctly rounded like the CPU) instead
    of libdevice's `__nv_sqrtf` (`sqrt.approx.f32`).

    Group tables: when the function has a `memref<?xi64>` argument marked
    `optim.group_table`, its run must be one generic whose operands are
    function arguments marked `optim.group_column = k` (the template: it
    gives the element types, the body, and, as its size, the group's total
    element count for the grid). The launch then walks the tensors the table
    describes, row `i` holding at `8*i + k` the address of column `k`'s
    buffer and at `8*i + 5` its element count, so any number of tensors is
    one launch with five kernel parameters. The work is balanced by total
    elements: the group is cut into chunks of `block-size` vectors, each
    tensor's last chunk partial, and blocks take chunks with a grid-stride
    loop, finding their tensor by walking the table forward.

    8-bit blockwise moments (the `optim.quant_block` loops of
    convert-optim-to-linalg: per parameter, an `scf.for` over whole blocks
    of 256 and the `scf.if` of the partial one) become a launch per
    parameter with one block of 256 threads per quantisation block, one
    element per thread, taken in a grid-stride loop: the decode-update keeps
    the new moments in registers, the block's absmaxes are an atomic
    unsigned max into shared memory between two barriers, then each thread
    encodes its element. Threads past a partial block's end contribute 0.
    Over a group table (the coded rows' absmaxes in words 4 and 7) it is
    one launch whose blocks of threads take every row's quantisation
    blocks in turn.

    Flat sum reductions into one 0-d accumulator (`optim.global_norm`, one
    per gradient) become one launch per accumulator: per-thread partials
    over grid-stride loops through every gradient, a tree in shared memory
    per block (a fixed order: the sum depends on the launch shape only), one
    sum per block in `gpu.alloc host_shared` memory, added to the
    accumulator by the host in block order after the launch.

    Any other
    `linalg.generic` left in the function (a strided parameter) is an error:
    it cannot run on the host over device memory.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (1 to 1024)">,
    Option<"maxBlocks", "max-blocks", "int64_t", /*default=*/"2048",
           "Upper bound on the grid, 1 to 2^31-1 (grid-stride loops cover "
           "the rest)">,
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"16",
           "Bytes per vector access, a power of two up to 256 (16 = "
           "ld.global.v4.f32)">,
    Option<"preciseMath", "precise-math", "bool", /*default=*/"true",
           "Correctly rounded sqrt (sqrt.rn) instead of sqrt.approx">,
    Option<"testStrideOffset", "test-stride-offset", "int64_t",
           /*default=*/"0",
           "Testing only: added to every grid stride, a deliberate indexing "
           "bug that the emulated conformance run must catch">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def OptimSplitBlocksAfterLoops
    : Pass<"optim-split-blocks-after-loops", "::mlir::func::FuncOp"> {
  let summary = "End a block after each of its scf loops, ahead of scf-to-cf";
  let description = [{
    `convert-scf-to-cf` lowers a loop by splitting its block after it,
    which moves every later op of the block into a new one: a step over N
    parameters is one block of N loop nests, so the conversion moved O(N^2)
    ops (one `optim.adamw` over 800 parameters spent 1.4 s there). This
    pass splits each block of the function after every `scf.for`,
    `scf.forall`, `scf.parallel`, `scf.while` and `scf.if` directly in it,
    from the last to the first so that each op moves once, and joins the
    pieces with `cf.br`. Nested regions are left alone (a loop nest's inner
    blocks are short). The IR means the same; the conversion's splits then
    move only the `cf.br`.
  }];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect"];
}

def OptimCheckLoweredToLLVM
    : Pass<"optim-check-lowered-to-llvm", "::mlir::ModuleOp"> {
  let summary = "Fail on the first op a host lowering to LLVM left behind";
  let description = [{
    The last pass of `optim-lower-to-llvm` and `optim-lower-to-emulated-gpu`.
    Upstream's conversions report some operands they cannot lower (a
    memref layout that is not strided, a memory space that is not an
    integer) without failing, and leave `builtin.unrealized_conversion_cast`
    behind for `reconcile-unrealized-casts` to keep: the pipeline then
    succeeded with IR that no LLVM translation takes. This pass makes that a
    failure, with an error at the first op that is not in the LLVM or
    OpenMP dialect (nor the module itself), naming the op and its types.
  }];
}

def OptimEmulateGPULaunch : Pass<"optim-emulate-gpu-launch", "func::FuncOp"> {
  let summary = "Run gpu.launch bodies on the host as loops over blocks and threads";
  let description = [{
    Rewrites every `gpu.launch` into nested `scf.for` loops over the grid
    (z, y, x) and, inside, the block (z, y, x), replacing the block and
    thread ids with the induction variables and the grid and block sizes
    with the launch's operands (or with `blocks`/`threads` in x when set).
    The kernel then runs on the CPU through the host lowering.

    A body with `gpu.barrier` is cut into phases at its barriers: each phase
    is its own loop over the block's threads, so every thread finishes one
    phase before any starts the next, as the barrier guarantees. Ops that do
    not depend on the thread (pure, on block-uniform operands) run once per
    block outside the thread loops; values a thread carries from one phase
    to a later one pass through a spill slot per thread. Barriers may sit
    under `scf.for` and `scf.if` without results whose operands are
    block-uniform; anywhere else they are rejected. Workgroup attributions
    become one host buffer each, shared by the threads of the block (blocks
    run one after another). Atomics are exact, threads running in turn.

    This is exact for kernels whose threads interact only through barriers,
    shared memory and atomics. Private attributions, dynamic shared memory,
    clusters, async tokens and any other gpu op in the body (shuffles,
    subgroup reductions) are rejected. NVVM intrinsics with an exact host
    equivalent are replaced: `llvm.nvvm.sqrt.rn.{f,d}` (correctly rounded)
    become `math.sqrt`; `gpu.alloc` and `gpu.dealloc` (synchronous) become
    `memref.alloc` and `memref.dealloc`.
  }];
  let options = [
    Option<"blocks", "blocks", "int64_t", /*default=*/"0",
           "Blocks in x to run instead of the launch's grid size (0 keeps it)">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads per block in x instead of the launch's (0 keeps it)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

#endif // OPTIM_CODEGEN_PASSES_TD
