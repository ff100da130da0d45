// RUN: not optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu="vector-bytes=12" 2>&1 | FileCheck %s --check-prefix=BYTES
// RUN: not optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu="vector-bytes=1099511627776" 2>&1 | FileCheck %s --check-prefix=BYTES
// RUN: not optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu="max-blocks=0" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu="block-size=1099511627776" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu="block-size=1024 max-blocks=2147483647 vector-bytes=256" | FileCheck %s --check-prefix=EDGE

// The mapping's options become index constants and alignments: out of
// range (a vector size that is no power of two, an empty or oversized
// grid or block) they are refused, not turned into IR that fails to
// verify, a launch of no blocks, or arithmetic that overflows. The
// pipelines check them the same way (test/Pipelines/pipeline-shape.mlir).

// BYTES: error: optim-map-elementwise-to-gpu: block-size must be from 1 to 1024, max-blocks from 1 to 2^31-1 and vector-bytes a power of two from 1 to 256, got 256, 2048 and
// SHAPE: error: optim-map-elementwise-to-gpu: block-size must be from 1 to 1024, max-blocks from 1 to 2^31-1 and vector-bytes a power of two from 1 to 256

// EDGE-LABEL: func @step
// EDGE: arith.constant 2147483647 : index
// EDGE: gpu.launch
// EDGE: vector.load {{.*}}alignment = 256
func.func @step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>,
                %v: memref<?xf32>, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}
