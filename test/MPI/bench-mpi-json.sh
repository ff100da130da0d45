#!/usr/bin/env bash
# optim-bench-mpi's --json record is one valid JSON object (MPICH's name
# holds a tab, which the record once wrote raw), and a network model it
# cannot compute (zero bandwidth, negative latency) is an error.
#
#   bench-mpi-json.sh FLAVOR MPIEXEC BENCH
set -euo pipefail
flavor=$1 mpiexec=$2 bench=$3
here=$(dirname "$0")
out=$("$here/mpi-launch.sh" "$flavor" "$mpiexec" 2 pass 120 "$bench" \
  --elements=4096 --steps=2 --json)
echo "$out"
echo "$out" | grep '^{' | python3 -c '
import json, sys
record = json.loads(sys.stdin.read())
assert record["ranks"] == 2, record
assert record["elements"] == 4096, record
assert record["step_ms"] > 0 and record["update_ms"] > 0, record
print("bench-mpi-json: a valid record from", repr(record["mpi"]))
'
for bad in --net-bandwidth=0 --net-latency=-1 --net-bandwidth=nan \
    --elements=4611686018427387904; do
  refused=$("$here/mpi-launch.sh" "$flavor" "$mpiexec" 2 fail 60 "$bench" \
    --steps=1 "$bad") || true
  grep -q "error: need" <<<"$refused" && grep -q "mpi-launch: OK" <<<"$refused" ||
    { echo "$refused"; echo "bench-mpi-json: FAIL: $bad was not refused"; exit 1; }
done
echo "bench-mpi-json: OK"
