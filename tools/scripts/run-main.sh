#!/usr/bin/env bash
# The main job: builds optim (installing what it needs), then shows it working.
#
#   tools/scripts/run-main.sh [BUILD_DIR]
set -euo pipefail

here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$here/build}"
"$here/tools/scripts/setup.sh" "$build"

echo "== optim-train: a C++ training loop with optim's JIT-compiled AdamW =="
"$build/bin/optim-train"

echo
echo "== optim-opt: the same step as IR, lowered for the CPU =="
"$build/bin/optim-opt" "$here/test/Examples/adamw-step.mlir"
"$build/bin/optim-opt" "$here/test/Examples/adamw-step.mlir" --optim-lower-to-llvm \
  | grep -c "vector<" | sed 's/^/vector operations in the lowered step: /'

echo
echo "== optim-conformance: the golden cases through the JIT =="
if [ -d "$here/../shared/golden" ]; then
  "$build/bin/optim-conformance" "$here/../shared/golden"
else
  echo "(no ../shared/golden beside the checkout)"
fi
