#!/usr/bin/env bash
# Soak: a long training run of a small ResNet (default 300 epochs) on the 216 SIGNS photos of
# images/val_signs, with validation, BN recalibration and checkpoints every epoch. Samples the
# process's resident memory (VmRSS) once a second and fails if it grows by more than
# SIGNSNET_SOAK_MAX_GROWTH_MB (default 2) over the second half of the run. build/soak/rss.tsv
# keeps every sample.
# Usage: scripts/soak.sh [epochs] [build-dir]   (SIGNSNET_DATA: the SIGNS folder)
# With an ASan build (build-asan), LeakSanitizer checks the run at exit as well.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
epochs=${1:-300}
build=${2:-"$root/build"}
data=${SIGNSNET_DATA:-"$root/../shared/datasets/signs"}
max_growth_mb=${SIGNSNET_SOAK_MAX_GROWTH_MB:-2}
cli="$build/cli/signsnet-cli"
[ -x "$cli" ] || { echo "soak: missing $cli (build first: scripts/build.sh)" >&2; exit 2; }
[ -d "$data/images/val_signs" ] || { echo "soak: missing $data/images/val_signs" >&2; exit 2; }

work="$build/soak"
rm -rf "$work"
mkdir -p "$work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp}

"$cli" train --train "$data/images/val_signs" --test "$data/test_signs.h5" --out "$work/run" \
  --config tiny --input-size 64 --batch 32 --epochs "$epochs" --val-split 0.1 --seed 1 \
  --threads 2 --loader-threads 2 --json >"$work/out.jsonl" 2>"$work/err.txt" &
pid=$!
samples="$work/rss.tsv"
echo -e "seconds\tepochs_done\trss_kb" >"$samples"
start=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  done_epochs=$(grep -c '"epoch"' "$work/out.jsonl" 2>/dev/null || true)
  [ -n "$rss" ] && echo -e "$((SECONDS - start))\t$done_epochs\t$rss" >>"$samples"
  sleep 1
done
status=0
wait "$pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "soak: the run failed with exit code $status:" >&2
  tail -20 "$work/err.txt" >&2
  exit 1
fi

# A leak grows with the epochs: the check compares the second half of the training epochs (its
# start with its end). The test-set evaluation after the last epoch builds networks for its batch
# sizes once: reported, not checked.
awk -v max_mb="$max_growth_mb" -v epochs="$epochs" -F'\t' '
  NR == 1 { next }
  { peak = $3 > peak ? $3 : peak; end = $3; n++ }
  $2 < epochs { last = $3; last_epoch = $2 }
  $2 >= 10 && at10 == "" { at10 = $3 }
  $2 >= epochs / 2 && mid == "" { mid = $3 }
  END {
    if (mid == "") { print "soak: the run ended before half of its epochs were sampled"; exit 1 }
    growth = (last - mid) / 1024
    printf "soak: %d epochs in %d s, %d samples; RSS after epoch 10: %.1f MB, after epoch %d:" \
           " %.1f MB, after epoch %d: %.1f MB (second-half growth %.2f MB, limit %d MB); during" \
           " the final test-set evaluation: %.1f MB, peak %.1f MB\n",
           epochs, $1, n, at10 / 1024, epochs / 2, mid / 1024, last_epoch, last / 1024, growth,
           max_mb, end / 1024, peak / 1024
    exit growth > max_mb ? 1 : 0
  }' "$samples"
tail -1 "$work/out.jsonl"
