#!/usr/bin/env bash
# The hardening checks CI runs after the plain test suite, each in its own
# build directory (installing what it needs):
#   1. AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer): the
#      whole lit suite and every unit test, and the libFuzzer target
#      optim-fuzz for OPTIM_FUZZ_SECONDS (default 60) from the lit seeds;
#   2. ThreadSanitizer: the runtime's unit tests, concurrency first.
#
#   tools/scripts/run-sanitizers.sh [asan|tsan|fuzz|all]   (default all)
#
# Build directories: $OPTIM_ASAN_BUILD (build-asan), $OPTIM_TSAN_BUILD
# (build-tsan).
set -uo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
what="${1:-all}"
asan_build="${OPTIM_ASAN_BUILD:-$here/build-asan}"
tsan_build="${OPTIM_TSAN_BUILD:-$here/build-tsan}"
status=0

configure() { # BUILD_DIR TARGETS... -- CMAKE_ARGS...
  local build="$1"; shift
  local targets=()
  while (($#)) && [ "$1" != "--" ]; do targets+=("$1"); shift; done
  shift
  if [ ! -f "$build/build.ninja" ]; then
    cmake -G Ninja -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 "$@" \
      >/dev/null || return 1
  fi
  ninja -C "$build" -j "$(nproc)" "${targets[@]}"
}

asan() {
  echo "== ASan + UBSan: build =="
  configure "$asan_build" all mlir-doc optim-fuzz -- -DOPTIM_ENABLE_SANITIZERS=ON \
    -DOPTIM_ENABLE_FUZZER=ON || return 1
  # allow_user_poisoning=0: libMLIR.so is not instrumented, and LLVM's
  # allocator inlined into optim's instrumented code poisons slabs that the
  # library then fills without unpoisoning (false use-after-poison).
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allow_user_poisoning=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  local rc=0
  echo "== ASan + UBSan: lit =="
  /usr/lib/llvm-22/bin/lit -sv "$asan_build/test" || rc=1
  echo "== ASan + UBSan: ctest =="
  ctest --test-dir "$asan_build" --output-on-failure || rc=1
  return $rc
}

fuzz() {
  echo "== optim-fuzz (ASan + UBSan, ${OPTIM_FUZZ_SECONDS:-60} s) =="
  if [ ! -x "$asan_build/bin/optim-fuzz" ]; then
    configure "$asan_build" optim-fuzz -- -DOPTIM_ENABLE_SANITIZERS=ON \
      -DOPTIM_ENABLE_FUZZER=ON || return 1
  fi
  OPTIM_FUZZ_BUILD="$asan_build" "$here/tools/scripts/run-fuzzer.sh" \
    "${OPTIM_FUZZ_SECONDS:-60}"
}

tsan() {
  echo "== TSan: build the runtime's unit tests =="
  configure "$tsan_build" OptimRuntimeTests -- -DOPTIM_ENABLE_TSAN=ON || return 1
  # The JIT's generated code and libMLIR.so are not instrumented; races are
  # looked for in optim's own runtime (pool, cache, steps).
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1"
  echo "== TSan: concurrency tests, then the rest of the runtime tests =="
  "$tsan_build/test/Unit/OptimRuntimeTests" --gtest_filter='Concurrency*' \
    --gtest_brief=1 || return 1
  "$tsan_build/test/Unit/OptimRuntimeTests" --gtest_filter='-Concurrency*' \
    --gtest_brief=1
}

case "$what" in
  asan) asan || status=1 ;;
  fuzz) fuzz || status=1 ;;
  tsan) tsan || status=1 ;;
  all)
    asan || status=1
    fuzz || status=1
    tsan || status=1
    ;;
  *) echo "usage: $0 [asan|tsan|fuzz|all]" >&2; exit 2 ;;
esac
exit $status
