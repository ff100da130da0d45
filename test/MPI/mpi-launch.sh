#!/usr/bin/env bash
# Runs an MPI job the way the tests need it, under a time limit.
#
#   mpi-launch.sh FLAVOR MPIEXEC NP EXPECT LIMIT PROGRAM [ARGS...]
#
# FLAVOR is mpich or openmpi (their launchers differ), EXPECT is `pass` (the
# job exits 0) or `fail` (the job exits non-zero on its own: a hang that
# only the LIMIT seconds end is a failure of the test either way).
set -uo pipefail
flavor=$1 mpiexec=$2 np=$3 expect=$4 limit=$5
shift 5

case "$flavor" in
  # Open MPI refuses to run as root without these; --oversubscribe lets 4
  # ranks share 2 cores, --bind-to none keeps them from being pinned to one.
  openmpi) flags=(--allow-run-as-root --oversubscribe --bind-to none) ;;
  # Hydra's default launcher looks for ssh; fork starts local processes.
  mpich) flags=(-launcher fork) ;;
  *) flags=() ;;
esac

out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s%N)
timeout --kill-after=10 "$limit" "$mpiexec" "${flags[@]}" -np "$np" "$@" \
  >"$out" 2>&1
rc=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$out"
echo "mpi-launch: $flavor, $np ranks: exit status $rc after ${elapsed} ms"

# timeout(1) exits 124 (or 137 after --kill-after); Open MPI's mpirun also
# exits 137 when a rank was killed, so the clock decides.
if [ "$elapsed" -ge $((limit * 1000)) ]; then
  echo "mpi-launch: FAIL: the job was still running after ${limit}s (a hang)"
  exit 1
fi
if [ "$expect" = pass ]; then
  [ "$rc" = 0 ] || { echo "mpi-launch: FAIL: the job failed"; exit 1; }
else
  [ "$rc" != 0 ] || { echo "mpi-launch: FAIL: the job should have failed"; exit 1; }
  if grep -q "survived" "$out"; then
    echo "mpi-launch: FAIL: a rank finished its run although another died"
    exit 1
  fi
fi
echo "mpi-launch: OK"
