#!/usr/bin/env bash
# signsnet-cli train under mpirun -np 2: a run, a refused configuration, another command, and a
# rank killed in the middle of training, which must end the job with a message instead of a hang.
# Usage: mpi_cli_test.sh <signsnet-cli> <data dir> <scratch dir> <mpirun>
set -uo pipefail
cli=$1 data=$2 tmp=$3 mpirun=$4
mpi=("$mpirun" --allow-run-as-root --oversubscribe -np 2)
tiny=(--config tiny --input-size 32 --threads 1 --data "$data")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
rm -rf "$tmp" && mkdir -p "$tmp"

echo "== a 2-rank run: rank 0 writes the run folder and prints; the test set is evaluated once"
"${mpi[@]}" "$cli" train "${tiny[@]}" --epochs 2 --out "$tmp/run" --json >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
[ $rc -eq 0 ] || fail "exit $rc: $(tail -3 "$tmp/run.err")"
[ -f "$tmp/run/last.h5" ] || fail "no last.h5"
[ "$(grep -c '"epoch"' "$tmp/run.out")" -eq 2 ] || fail "expected 2 epoch lines, got: $(cat "$tmp/run.out")"
[ "$(grep -c test_accuracy "$tmp/run.out")" -eq 1 ] || fail "expected one test line"
[ "$(wc -l <"$tmp/run/log.csv")" -eq 3 ] || fail "log.csv: expected a header and 2 rows"

echo "== a batch that leaves a rank without images: every rank ends, exit 4, the line names it"
"${mpi[@]}" "$cli" train "${tiny[@]}" --epochs 1 --batch 1 --out "$tmp/bad" >"$tmp/bad.out" 2>&1
rc=$?
[ $rc -eq 4 ] || fail "bad batch: exit $rc, expected 4"
grep -q "every batch must give each of the 2 ranks an image" "$tmp/bad.out" || fail "bad batch: no message"
[ ! -e "$tmp/bad/last.h5" ] || fail "bad batch: wrote a checkpoint"

echo "== another command under mpirun: exit 2"
"${mpi[@]}" "$cli" summary >"$tmp/summary.out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "summary: exit $rc, expected 2"
grep -q "only train runs on several ranks" "$tmp/summary.out" || fail "summary: no message"

# Waits up to 20 s for a run folder's config.json and the PID of its rank 1; prints the PID.
rank_one() {
  local dir=$1 pid
  for _ in $(seq 1 100); do
    for pid in $(pgrep -f "$dir" || true); do
      if [ -f "$dir/config.json" ] &&
        tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then
        echo "$pid"
        return
      fi
    done
    sleep 0.2
  done
}

echo "== SIGUSR1 to mpirun (forwarded to every rank): a clean stop, last.h5 written, exit 130"
"${mpi[@]}" "$cli" train "${tiny[@]}" --epochs 200 --out "$tmp/stopped" >"$tmp/stopped.out" 2>&1 &
job=$!
if [ -z "$(rank_one "$tmp/stopped")" ]; then
  fail "stop: the run did not start"
else
  sleep 1
  kill -USR1 "$job"
  for _ in $(seq 1 300); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$job" 2>/dev/null; then
    fail "stop: still running 30 s after SIGUSR1"
  else
    wait "$job"
    rc=$?
    [ $rc -eq 130 ] || fail "stop: exit $rc, expected 130: $(tail -5 "$tmp/stopped.out")"
    grep -q "interrupted: saved" "$tmp/stopped.out" || fail "stop: no message"
    [ -f "$tmp/stopped/last.h5" ] || fail "stop: no last.h5"
  fi
fi
pkill -9 -f "$tmp/stopped" 2>/dev/null || true

echo "== rank 1 killed (SIGKILL) during training: the job ends, with mpirun's message"
"${mpi[@]}" "$cli" train "${tiny[@]}" --epochs 200 --out "$tmp/killed" >"$tmp/killed.out" 2>&1 &
job=$!
rank1=$(rank_one "$tmp/killed")
if [ -z "$rank1" ]; then
  fail "rank 1 not found"
  kill "$job" 2>/dev/null
else
  sleep 1
  kill -9 "$rank1"
  killed_at=$(date +%s.%N)
  for _ in $(seq 1 300); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$job" 2>/dev/null; then
    fail "the job still runs 30 s after rank 1 died (hang)"
    kill -9 "$job" 2>/dev/null
  else
    wait "$job"
    rc=$?
    [ $rc -ne 0 ] || fail "killed rank: mpirun exited 0"
    grep -q "exited on signal 9" "$tmp/killed.out" || fail "killed rank: no message: $(cat "$tmp/killed.out")"
    echo "mpirun exit $rc, $(awk -v a="$killed_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the kill:" \
      "$(grep -m1 'exited on signal' "$tmp/killed.out")"
  fi
fi
pkill -9 -f "$tmp/killed" 2>/dev/null || true

if [ $failures -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all passed"
