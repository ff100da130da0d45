#!/usr/bin/env bash
# Runs the libFuzzer target optim-fuzz (parse -> verify -> every optim
# pipeline) for SECONDS, seeded from every .mlir file of the lit suite. The
# corpus grows in $OPTIM_FUZZ_BUILD/fuzz-corpus; a crash is written to
# $OPTIM_FUZZ_BUILD/fuzz-artifacts/ and fails the run (turn it into a lit
# regression test under test/Dialect or test/Conversion).
#
#   tools/scripts/run-fuzzer.sh [SECONDS]      (default 600)
#
# Needs a build configured with -DOPTIM_ENABLE_SANITIZERS=ON
# -DOPTIM_ENABLE_FUZZER=ON (run-sanitizers.sh makes one in build-asan).
set -uo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-600}"
build="${OPTIM_FUZZ_BUILD:-$here/build-asan}"
fuzzer="$build/bin/optim-fuzz"
if [ ! -x "$fuzzer" ]; then
  echo "run-fuzzer: $fuzzer is missing; run tools/scripts/run-sanitizers.sh fuzz" >&2
  exit 1
fi
corpus="$build/fuzz-corpus"
seeds="$build/fuzz-seeds"
artifacts="$build/fuzz-artifacts"
mkdir -p "$corpus" "$seeds" "$artifacts"
# One seed per split-input-file chunk, so each seed is a whole module.
python3 - "$here/test" "$seeds" <<'PY'
import hashlib, os, sys
root, out = sys.argv[1], sys.argv[2]
for dirpath, _, files in os.walk(root):
    if "Inputs" in dirpath.split(os.sep):
        continue
    for name in files:
        if not name.endswith(".mlir"):
            continue
        text = open(os.path.join(dirpath, name), encoding="utf-8", errors="replace").read()
        for chunk in text.split("// -----"):
            data = chunk.encode()
            if 0 < len(data) <= 16384:
                with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
                    f.write(data)
PY
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allow_user_poisoning=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "optim-fuzz: $(ls "$seeds" | wc -l) seeds, $seconds s"
# Every input that once crashed must stay fixed.
if ! "$fuzzer" -runs=0 "$here/test/Fuzz/reproducers" >"$build/fuzz-reproducers.log" 2>&1; then
  sed -n '/^==[0-9]*==ERROR/,/^SUMMARY/p' "$build/fuzz-reproducers.log" | head -n 80
  echo "optim-fuzz: a reproducer in test/Fuzz/reproducers crashes again" >&2
  exit 1
fi
echo "optim-fuzz: $(ls "$here/test/Fuzz/reproducers" | wc -l) reproducers replayed"
log="$build/fuzz.log"
"$fuzzer" "$corpus" "$seeds" -max_total_time="$seconds" -timeout=30 \
  -rss_limit_mb=4096 -max_len=16384 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" >"$log" 2>&1
rc=$?
# libFuzzer's own summary; on a crash also the sanitizer report with its stack.
grep -E '^(stat::|Done|INFO: seed corpus)' "$log"
if [ "$rc" -ne 0 ]; then
  sed -n '/^==[0-9]*==ERROR/,/^SUMMARY/p' "$log" | head -n 80
  grep -E '^(Test unit written|MS:)' "$log"
  echo "optim-fuzz: FAILED (exit $rc); full log $log, reproducers in $artifacts" >&2
  exit 1
fi
echo "optim-fuzz: no crash in $seconds s"
