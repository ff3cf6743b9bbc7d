#!/usr/bin/env bash
# Disk trials: a real full disk and a real read-only file system while training saves, on a
# small tmpfs mounted for the purpose (needs root). Each must end with a one-line error naming
# the file, a non-zero exit code, and the previous checkpoint intact (same bytes, still loads).
# Usage: scripts/disk-trials.sh [build-dir]   (SIGNSNET_DATA: the SIGNS folder)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$root/build"}
data=${SIGNSNET_DATA:-"$root/../shared/datasets/signs"}
cli="$build/cli/signsnet-cli"
[ -x "$cli" ] || { echo "disk-trials: missing $cli (build first: scripts/build.sh)" >&2; exit 2; }
[ -f "$data/train_signs.h5" ] || { echo "disk-trials: missing $data/train_signs.h5" >&2; exit 2; }

work="$build/disk-trials"
mnt="$work/mnt"
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"; true; }
trap cleanup EXIT
cleanup
rm -rf "$work"
mkdir -p "$mnt"
args=(--train "$data/train_signs.h5" --config tiny --input-size 64 --batch 32 --seed 2
      --threads 2)

# The size of one checkpoint of this model.
"$cli" train "${args[@]}" --epochs 1 --out "$work/probe" >/dev/null
size_kb=$(( ($(stat -c %s "$work/probe/last.h5") + 1023) / 1024 ))
# Room for the logs and one checkpoint and a half: the first save fits, the second (a new file
# beside the old one until the rename) does not.
tmpfs_kb=$((size_kb * 3 / 2 + 64))
if ! mount -t tmpfs -o size=${tmpfs_kb}k signsnet-disk-trials "$mnt" 2>"$work/mount.err"; then
  echo "disk-trials: cannot mount a tmpfs here ($(head -1 "$work/mount.err")): needs root" >&2
  exit 2
fi

fail() { echo "disk-trials: FAILED: $*" >&2; exit 1; }
expect_error() {  # expect_error NAME CODE NEEDLE -- COMMAND...
  local name=$1 code=$2 needle=$3
  shift 4
  local status=0
  "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
  [ "$status" -eq "$code" ] || fail "$name: exit code $status, expected $code: $(cat "$work/$name.err")"
  [ "$(wc -l <"$work/$name.err")" -eq 1 ] || fail "$name: expected one line on stderr, got: $(cat "$work/$name.err")"
  grep -qF "$needle" "$work/$name.err" || fail "$name: '$needle' not in: $(cat "$work/$name.err")"
  echo "disk-trials: $name: exit $status: $(cat "$work/$name.err")"
}
checkpoint_intact() {  # checkpoint_intact NAME SUM
  [ "$(sha256sum <"$mnt/run/last.h5")" = "$2" ] || fail "$1: last.h5 changed"
  [ ! -e "$mnt/run/last.h5.tmp" ] || fail "$1: last.h5.tmp left behind"
  "$cli" evaluate --checkpoint "$mnt/run/last.h5" --test "$data/test_signs.h5" --threads 2 \
    >/dev/null || fail "$1: last.h5 no longer loads"
}

# Full disk: the first epoch's checkpoint fits, the second's does not.
echo "disk-trials: tmpfs of ${tmpfs_kb} KiB, checkpoints of ${size_kb} KiB"
status=0
"$cli" train "${args[@]}" --epochs 2 --out "$mnt/run" >"$work/full.out" 2>"$work/full.err" ||
  status=$?
[ -f "$mnt/run/last.h5" ] || fail "full disk: the first checkpoint was not written: $(cat "$work/full.err")"
sum=$(sha256sum <"$mnt/run/last.h5")
[ "$status" -eq 5 ] || fail "full disk: exit code $status, expected 5: $(cat "$work/full.err")"
[ "$(wc -l <"$work/full.err")" -eq 1 ] || fail "full disk: expected one line: $(cat "$work/full.err")"
grep -qF "$mnt/run/last.h5" "$work/full.err" || fail "full disk: the error does not name last.h5"
echo "disk-trials: full disk: exit $status: $(cat "$work/full.err")"
checkpoint_intact "full disk" "$sum"

# Read-only: the same file system remounted read-only, then a resume into it.
mount -o remount,ro "$mnt"
expect_error read-only 1 "$mnt/run" -- "$cli" train --resume "$mnt/run/last.h5" \
  --train "$data/train_signs.h5" --epochs 3 --threads 2
checkpoint_intact "read-only" "$sum"
echo "disk-trials: passed: the checkpoint of epoch 1 is intact after both"
