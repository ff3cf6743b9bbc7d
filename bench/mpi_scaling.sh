#!/usr/bin/env bash
# The data-parallel figures of docs/SCALING.md, on this machine: ResNet-50 training steps (global
# batch 32) on 1 process x 1 thread, 1 x 2 threads, and 2 ranks x 1 thread with the gradient sums
# overlapped with the backward pass, after it, and with synchronized batch norm. Each
# configuration runs `rounds` times, alternating; one JSON line per run.
# Usage: bench/mpi_scaling.sh [build dir] [rounds] [steps]   (defaults: build 2 10)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$root/build"}
rounds=${2:-2}
steps=${3:-10}
bench="$build/bench/signsnet-bench-mpi"
mpirun=(mpirun --allow-run-as-root --oversubscribe -np 2)
for _ in $(seq 1 "$rounds"); do
  "$bench" --threads 1 --steps "$steps"
  "$bench" --threads 2 --steps "$steps"
  "${mpirun[@]}" "$bench" --threads 1 --steps "$steps"
  "${mpirun[@]}" "$bench" --threads 1 --steps "$steps" --no-overlap
  "${mpirun[@]}" "$bench" --threads 1 --steps "$steps" --sync-bn
done
