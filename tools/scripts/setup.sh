#!/usr/bin/env bash
# Installs everything optim needs to build and test, then configures and
# builds it. Idempotent: packages already present are not reinstalled, and an
# existing build directory is reused.
#
#   tools/scripts/setup.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail

here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$here/build}"
shift || true

packages=(
  cmake ninja-build python3
  # LLVM/MLIR 22, pinned (Debian bookworm-security carries 22.1.x).
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22
  # OpenMP runtime for the multithreaded CPU lowering.
  libomp-22-dev
  # Unit tests and benchmarks.
  libgtest-dev libbenchmark-dev
  # compiler-rt: the sanitizer runtimes and libFuzzer (run-sanitizers.sh).
  libclang-rt-22-dev
  # The Python package's tests (test/Python): torch 1.13 for /usr/bin/python3,
  # and an offline `pip install` of lib/Bindings/Python into a venv.
  python3-torch python3-numpy python3-venv python3-pip python3-setuptools python3-wheel
  # The sharded optimizer's MPI runtime and its tests (both implementations).
  mpich libmpich-dev openmpi-bin libopenmpi-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The CUDA toolkit (nvcc, ptxas, cuda.h) is optional: without it the GPU
# runtime is not built and PTX tests are reported unsupported.
if ! command -v ptxas >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/ptxas ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$here" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 "$@"
fi
# Two cores: link jobs of the JIT users are memory hungry, keep to -j2.
ninja -C "$build" -j "$(nproc)" all mlir-doc
