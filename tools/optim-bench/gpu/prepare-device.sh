#!/usr/bin/env bash
# Builds, here (where LLVM is), everything the GPU benchmark needs on a GPU
# machine that has CUDA and PyTorch but no LLVM, into .device/ (git-ignored):
#   aot-gpu                  the AOT host program linked with an AdamW f32
#                            step for the chip (check | bench modes)
#   liboptim_cuda_runtime.so the mgpu* layer it calls (dlopens libcuda)
#   bench_gpu_torch.py       torch.optim.AdamW(fused=True) and a copy probe
# Then, on the GPU machine (e.g. through the device tool, carrying .device):
#   .device/run.sh
#
#   tools/optim-bench/gpu/prepare-device.sh [BUILD_DIR] [CHIP]
set -euo pipefail
here="$(cd "$(dirname "$0")/../../.." && pwd)"
build="${1:-$here/build}"
chip="${2:-sm_90}"
out="$here/.device"
mkdir -p "$out"
"$build/bin/optim-aot" --preset=torch.adamw --dtype=f32 --target=gpu \
  --chip="$chip" -o "$out/adamw.o" --header "$out/adamw.h"
cp "$build/lib/Runtime/CUDA/liboptim_cuda_runtime.so" "$out/"
/usr/lib/llvm-22/bin/clang++ -O2 -DOPTIM_AOT_GPU -include "$out/adamw.h" \
  "$here/test/Integration/AOT/Inputs/aot-host.cpp" "$out/adamw.o" \
  -L"$out" -loptim_cuda_runtime -Wl,-rpath,'$ORIGIN' -o "$out/aot-gpu"
cp "$here/tools/optim-bench/gpu/bench_gpu_torch.py" "$out/"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: correctness first, then the benchmark, in one run.
set -uo pipefail
cd "$(dirname "$0")"
./aot-gpu check 10000019
PYTHONUNBUFFERED=1 python3 bench_gpu_torch.py --optim-cmd "./aot-gpu bench" "$@"
RUN
chmod +x "$out/run.sh"
echo "prepared $out for $chip: carry .device and run .device/run.sh"
