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
# The repository's own corpus (a copy of ../shared/golden plus generated
# cases), then the shared reference corpus itself when it is beside us.
# Both run even when the first fails; the script fails if either did.
status=0
"$build/bin/optim-conformance" "$here/test/Conformance/golden" || status=1
if [ -d "$here/../shared/golden" ]; then
  "$build/bin/optim-conformance" "$here/../shared/golden" || status=1
else
  echo "(no ../shared/golden beside the checkout)"
fi
exit $status
