#!/usr/bin/env bash
# The sharded step at 1, 2 and 4 ranks, then the cost model (printed by the
# runs with 2 ranks or more).
#
#   tools/optim-bench-mpi/scaling.sh [BUILD_DIR] [optim-bench-mpi options...]
#
# optim-bench-mpi is built against the MPI chosen at configure time
# (OPTIM_MPI, MPICH by default); its launcher is used here.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$here/build}"
shift || true
flavor=$(sed -n 's/^OPTIM_MPI:STRING=//p' "$build/CMakeCache.txt")
case "$flavor" in
  openmpi) launch=(mpirun.openmpi --allow-run-as-root --oversubscribe --bind-to none) ;;
  *) launch=(mpirun.mpich -launcher fork) ;;
esac
export OPTIM_CACHE_DIR="${OPTIM_CACHE_DIR:-$build/test/optim-kernel-cache}"
for np in 1 2 4; do
  "${launch[@]}" -np "$np" "$build/bin/optim-bench-mpi" "$@"
  echo
done
