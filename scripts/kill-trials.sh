#!/usr/bin/env bash
# Kill trials: trains a small ResNet on SIGNS photos and SIGKILLs it TRIALS times (default 20),
# resuming from last.h5 after each kill. Odd trials kill at a random moment of the epoch after
# the attempt's first checkpoint; even trials kill while a checkpoint is being written (as soon
# as last.h5.tmp exists). After every kill the latest checkpoint must load (signsnet-cli
# evaluate); at the end the interrupted run must hold the same weights, statistics and optimizer
# moments, bit for bit, as an uninterrupted run with the same seed and thread count.
# Usage: scripts/kill-trials.sh [trials] [build-dir]   (SIGNSNET_DATA: the SIGNS folder)
# The training set is the 216 photos of images/val_signs (short epochs: many kills per minute).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
trials=${1:-20}
build=${2:-"$root/build"}
data=${SIGNSNET_DATA:-"$root/../shared/datasets/signs"}
cli="$build/cli/signsnet-cli"
diff_tool="$build/tests/signsnet-checkpoint-diff"
photos="$data/images/val_signs"
for f in "$cli" "$diff_tool" "$photos" "$data/test_signs.h5"; do
  [ -e "$f" ] || { echo "kill-trials: missing $f (build first: scripts/build.sh)" >&2; exit 2; }
done

threads=${SIGNSNET_KILL_THREADS:-2}
# Each odd trial advances the run by one or two epochs, each even one by none (or one).
epochs=${SIGNSNET_KILL_EPOCHS:-$((trials * 2))}
run_args=(--config tiny --input-size 64 --batch 32 --epochs "$epochs" --val-split 0.1 --seed 3
          --threads "$threads" --loader-threads 2 --json)
work="$build/kill-trials"
rm -rf "$work"
mkdir -p "$work"
log="$work/trials.log"
: >"$log"

echo "kill-trials: uninterrupted reference run ($epochs epochs, $threads threads)"
start=$(date +%s.%N)
"$cli" train --train "$photos" --out "$work/reference" "${run_args[@]}" >>"$log" 2>&1
seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "kill-trials: reference took $seconds s"

run="$work/interrupted"
ckpt="$run/last.h5"
# A random delay of up to one epoch of the reference run.
random_delay() {
  awk -v total="$seconds" -v epochs="$epochs" -v r="$RANDOM" \
    'BEGIN { printf "%.3f", r / 32768 * total / epochs }'
}
epochs_logged() {
  local n
  n=$(grep -c '"epoch"' "$1" 2>/dev/null) || true
  echo "${n:-0}"
}

during_write=0 random_moment=0 loads=0
for ((t = 1; t <= trials; ++t)); do
  out="$work/attempt-$t.jsonl"
  if [ -f "$ckpt" ]; then
    "$cli" train --resume "$ckpt" --train "$photos" --threads "$threads" --loader-threads 2 \
      --json >"$out" 2>>"$log" &
  else
    "$cli" train --train "$photos" --out "$run" "${run_args[@]}" >"$out" 2>>"$log" &
  fi
  pid=$!
  if ((t % 2 == 0)) && [ -f "$ckpt" ]; then
    # Kill as soon as the next checkpoint write is under way.
    while kill -0 "$pid" 2>/dev/null && [ ! -e "$ckpt.tmp" ]; do :; done
  else
    # After this attempt's first epoch (its checkpoint is in place), at a random moment.
    while kill -0 "$pid" 2>/dev/null && [ "$(epochs_logged "$out")" -lt 1 ]; do sleep 0.02; done
    sleep "$(random_delay)"
  fi
  writing=no
  [ -e "$ckpt.tmp" ] && writing=yes
  if ! kill -9 "$pid" 2>/dev/null; then
    wait "$pid" || true
    echo "kill-trials: trial $t: the run ended before the kill; raise SIGNSNET_KILL_EPOCHS" >&2
    exit 1
  fi
  wait "$pid" 2>/dev/null || true
  if [ "$writing" = yes ]; then
    during_write=$((during_write + 1))
    how="during a checkpoint write"
  else
    random_moment=$((random_moment + 1))
    how="at a random moment"
  fi
  [ -f "$ckpt" ] || { echo "kill-trials: trial $t: no $ckpt after a kill" >&2; exit 1; }
  if ! "$cli" evaluate --checkpoint "$ckpt" --test "$data/test_signs.h5" --threads "$threads" \
    >>"$log" 2>&1; then
    echo "kill-trials: trial $t: $ckpt does not load after a kill (see $log)" >&2
    exit 1
  fi
  loads=$((loads + 1))
  echo "kill-trials: trial $t: killed $how (epochs logged in this attempt:" \
    "$(epochs_logged "$out")); last.h5 loads"
done

echo "kill-trials: resuming to the end"
"$cli" train --resume "$ckpt" --train "$photos" --threads "$threads" --loader-threads 2 --json \
  >"$work/final.jsonl" 2>>"$log"
result=$("$diff_tool" "$work/reference/last.h5" "$ckpt") || {
  echo "kill-trials: FAILED: the interrupted run differs from the reference: $result" >&2
  exit 1
}
echo "kill-trials: passed: $trials kills ($during_write during a checkpoint write," \
  "$random_moment at random moments); last.h5 loaded after all $loads; final state against" \
  "the uninterrupted run: $result"
