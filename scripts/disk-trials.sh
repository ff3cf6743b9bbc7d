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

fail() { echo "disk-trials: FAILED: $*" >&2; exit 1; }
checkpoint_intact() {  # checkpoint_intact NAME SHA256
  [ "$(sha256sum <"$mnt/run/last.h5")" = "$2" ] || fail "$1: last.h5 changed"
  [ ! -e "$mnt/run/last.h5.tmp" ] || fail "$1: last.h5.tmp left behind"
  "$cli" evaluate --checkpoint "$mnt/run/last.h5" --test "$data/test_signs.h5" --threads 2 \
    >/dev/null || fail "$1: last.h5 no longer loads"
}
one_error_line() {  # one_error_line NAME STATUS CODE ERRFILE
  [ "$2" -eq "$3" ] || fail "$1: exit code $2, expected $3: $(cat "$4")"
  [ "$(wc -l <"$4")" -eq 1 ] || fail "$1: expected one line on stderr, got: $(cat "$4")"
  echo "disk-trials: $1: exit $2: $(cat "$4")"
}
# full_disk NAME KIB: trains 2 epochs on a tmpfs of KIB KiB, where the first epoch's checkpoint
# fits and the second's (a new file beside the old one until the rename) does not. Leaves the
# tmpfs mounted, with the SHA-256 of last.h5 in $sum.
full_disk() {
  mountpoint -q "$mnt" && umount "$mnt"
  mount -t tmpfs -o size="$2"k signsnet-disk-trials "$mnt" 2>"$work/mount.err" || {
    echo "disk-trials: cannot mount a tmpfs here ($(head -1 "$work/mount.err")): needs root" >&2
    exit 2
  }
  local status=0
  "$cli" train "${args[@]}" --epochs 2 --out "$mnt/run" >"$work/$1.out" 2>"$work/$1.err" ||
    status=$?
  [ -f "$mnt/run/last.h5" ] || fail "$1: the first checkpoint was not written: $(cat "$work/$1.err")"
  sum=$(sha256sum <"$mnt/run/last.h5")
  one_error_line "$1" "$status" 5 "$work/$1.err"
  grep -qF "$mnt/run/last.h5: file: " "$work/$1.err" || fail "$1: the error does not name last.h5"
  checkpoint_intact "$1" "$sum"
}

echo "disk-trials: checkpoints of $size_kb KiB"
# Too little room for the tensors: refused before anything is written.
full_disk full-disk-before-writing $((size_kb * 3 / 2 + 64))
# Room for the tensors but not for the whole file: the write itself fails half-way.
full_disk full-disk-while-writing $((size_kb * 2 - 32))

# Read-only: the same file system remounted read-only, then a resume into it.
mount -o remount,ro "$mnt"
status=0
"$cli" train --resume "$mnt/run/last.h5" --train "$data/train_signs.h5" --epochs 3 --threads 2 \
  >"$work/read-only.out" 2>"$work/read-only.err" || status=$?
one_error_line "read-only" "$status" 1 "$work/read-only.err"
grep -qF "Read-only file system" "$work/read-only.err" || fail "read-only: the reason is not named"
checkpoint_intact "read-only" "$sum"
echo "disk-trials: passed: the checkpoint of epoch 1 is intact after all three"
