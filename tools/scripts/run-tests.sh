#!/usr/bin/env bash
# Builds optim (installing what it needs) and runs every test: the lit suite
# (FileCheck tests, integration runs, golden conformance) and the unit tests
# under ctest. Each runner prints its own summary.
#
#   tools/scripts/run-tests.sh [BUILD_DIR]
set -uo pipefail

here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$here/build}"
"$here/tools/scripts/setup.sh" "$build" || exit 1
if ! command -v ptxas >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/ptxas ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

status=0
echo "== lit =="
/usr/lib/llvm-22/bin/lit -sv "$build/test" || status=1
if [ -f "$build/CTestTestfile.cmake" ] || [ -d "$build/unittests" ]; then
  echo "== ctest =="
  ctest --test-dir "$build" --output-on-failure || status=1
fi
exit $status
