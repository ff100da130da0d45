#!/usr/bin/env bash
# Builds, here (where LLVM is), everything the GPU benchmark needs on a GPU
# machine that has CUDA and PyTorch but no LLVM, into .device/ (git-ignored):
#   aot-gpu                  the AOT host program linked with an AdamW f32
#                            step for the chip (check | bench modes)
#   liboptim_cuda_runtime.so the mgpu* layer it calls (dlopens libcuda)
#   bench_gpu_torch.py       torch.optim.AdamW(fused=True) and a copy probe
#   checks.tar.xz            optim-conformance, optim-bench, the runtime's
#                            and the CUDA layer's unit tests, the libraries they
#                            need (LLVM, MLIR, ...), libdevice and the golden
#                            corpora (PyTorch's, 8-bit moments, clipping)
# Then, on the GPU machine (e.g. through the device tool, carrying .device):
#   .device/run.sh
# which runs, in order: GPU conformance on every golden case (the JIT path:
# one launch per group, device table), the unit tests that hold the device
# kernels to the CPU bit for bit (GpuTargets/*/Device: f32 and f64 groups,
# bf16 and 8-bit moments, stochastic rounding, the global norm) and the CUDA
# layer's device tests, optim-bench's CPU rows (bf16 and 8-bit moments,
# clipping) on all of the machine's cores, the AOT step's check, and the
# benchmark (optim vs torch fused AdamW vs a device-to-device copy, one
# 2^28 tensor and the GPT-2-small list), printing the ratios.
#
#   tools/optim-bench/gpu/prepare-device.sh [BUILD_DIR] [CHIP]
set -euo pipefail
usage="usage: $0 [BUILD_DIR] [CHIP]   (defaults: build, sm_90)"
case "${1:-}" in
  -h|--help) echo "$usage"; exit 0 ;;
  -*) echo "$0: unknown option '$1'" >&2; echo "$usage" >&2; exit 2 ;;
esac
[ $# -le 2 ] || { echo "$usage" >&2; exit 2; }
here="$(cd "$(dirname "$0")/../../.." && pwd)"
build="${1:-$here/build}"
chip="${2:-sm_90}"
for needed in bin/optim-aot bin/optim-conformance bin/optim-bench \
              test/Unit/OptimRuntimeTests lib/Runtime/CUDA/liboptim_cuda_runtime.so; do
  if [ ! -e "$build/$needed" ]; then
    echo "$0: $build/$needed not found: build optim there first" \
      "(tools/scripts/setup.sh $build), with the CUDA toolkit on PATH" >&2
    exit 2
  fi
done
out="$here/.device"
mkdir -p "$out"
"$build/bin/optim-aot" --preset=torch.adamw --dtype=f32 --target=gpu \
  --chip="$chip" -o "$out/adamw.o" --header "$out/adamw.h"
cp "$build/lib/Runtime/CUDA/liboptim_cuda_runtime.so" "$out/"
/usr/lib/llvm-22/bin/clang++ -O2 -DOPTIM_AOT_GPU -include "$out/adamw.h" \
  "$here/test/Integration/AOT/Inputs/aot-host.cpp" "$out/adamw.o" \
  -L"$out" -loptim_cuda_runtime -Wl,-rpath,'$ORIGIN' -o "$out/aot-gpu"
cp "$here/tools/optim-bench/gpu/bench_gpu_torch.py" "$out/"
# optim-conformance, the unit tests and every non-system library they load;
# libc and libstdc++ are the device's own.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/checks/lib" "$stage/checks/nvvm/libdevice"
binaries=("$build/bin/optim-conformance" "$build/bin/optim-bench"
  "$build/test/Unit/OptimRuntimeTests")
[ -x "$build/test/Unit/OptimCudaDriverTests" ] &&
  binaries+=("$build/test/Unit/OptimCudaDriverTests")
cp "${binaries[@]}" "$stage/checks/"
cp "$build/lib/Runtime/CUDA/liboptim_cuda_runtime.so" "$stage/checks/lib/"
for binary in "${binaries[@]}"; do ldd "$binary"; done |
  awk '/=> \// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+)\.so' |
  xargs -I{} cp -L {} "$stage/checks/lib/"
cp -r "$here/test/Conformance/golden" "$stage/checks/golden"
# Issue 10's GPU forms: 8-bit moments (a block of threads per quantisation
# block) and global-norm clipping (the norm as one launch).
cp -r "$here/test/Conformance/golden-8bit" "$stage/checks/golden-8bit"
cp -r "$here/test/Conformance/golden-clip" "$stage/checks/golden-clip"
cp /usr/local/cuda/nvvm/libdevice/libdevice.10.bc \
  "$stage/checks/nvvm/libdevice/" 2>/dev/null || true
tar -C "$stage" -cf - checks | xz -T0 -9e > "$out/checks.tar.xz"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: correctness first, then the benchmark, in one run.
set -uo pipefail
cd "$(dirname "$0")"
status=0
if [ -f checks.tar.xz ]; then
  rm -rf checks && tar -xJf checks.tar.xz
  # In a subshell: the build machine's libraries must not reach the AOT
  # program or Python below. The NVVM serialiser finds libdevice through
  # CUDA_HOME; OPTIM_REQUIRE_GPU=1 makes a missing device a failure.
  (
    export CUDA_HOME="$PWD/checks" LD_LIBRARY_PATH="$PWD/checks/lib" \
      OPTIM_CUDA_RUNTIME_LIBRARY="$PWD/checks/lib/liboptim_cuda_runtime.so" \
      OPTIM_REQUIRE_GPU=1
    fail=0
    ./checks/optim-conformance --target=gpu checks/golden \
      checks/golden-8bit checks/golden-clip || fail=1
    ./checks/OptimRuntimeTests --gtest_brief=1 \
      --gtest_filter='GpuTargets/*/Device:CompiledStep.Gpu*' || fail=1
    if [ -x checks/OptimCudaDriverTests ]; then
      ./checks/OptimCudaDriverTests --gtest_brief=1 || fail=1
    fi
    # The CPU step's storage rows on the machine's own cores (the 2-core
    # development machine is compute-bound on the 8-bit step).
    ./checks/optim-bench --variants=adamw --dtypes=f32 --sizes=24,26 \
      --num-threads="$(nproc)" --gpt2=false --reps=3 || fail=1
    exit $fail
  ) || status=1
fi
./aot-gpu check 10000019 || status=1
PYTHONUNBUFFERED=1 python3 bench_gpu_torch.py --optim-cmd "./aot-gpu bench" "$@" || status=1
exit $status
RUN
chmod +x "$out/run.sh"
du -sh "$out"/* | sed 's/^/  /'
echo "prepared $out for $chip: carry .device and run .device/run.sh"
