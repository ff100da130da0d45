#!/usr/bin/env bash
# The main job: builds optim (installing what it needs), then shows it working.
#
#   scripts/run-main.sh [BUILD_DIR]
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
"$here/scripts/setup.sh" "$build"

echo "== optim-opt: an AdamW step, lowered for the CPU =="
"$build/bin/optim-opt" "$here/test/Examples/adamw-step.mlir"
"$build/bin/optim-opt" "$here/test/Examples/adamw-step.mlir" --optim-lower-to-llvm \
  | grep -c "vector<16xf32>" | sed 's/^/16-wide vector ops in the lowered step: /'
