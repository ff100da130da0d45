#!/usr/bin/env bash
# Builds optim with AddressSanitizer, UndefinedBehaviorSanitizer (and
# LeakSanitizer) into build-asan/ and runs the whole test suite there.
#
#   tools/scripts/run-sanitizers.sh [BUILD_DIR]
set -uo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$here/build-asan}"
"$here/tools/scripts/setup.sh" "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DOPTIM_ENABLE_SANITIZERS=ON || exit 1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
/usr/lib/llvm-22/bin/lit -sv "$build/test" || status=1
ctest --test-dir "$build" --output-on-failure || status=1
exit $status
