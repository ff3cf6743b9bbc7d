#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan and UBSan) in build-fuzz/, writes a
# seed corpus from real files, then runs each target for the given seconds.
# Usage: scripts/fuzz.sh [seconds-per-target]   (default 60; installs nothing: see install-deps.sh)
# Prints per target the executions and whether it crashed; exits 1 if any target crashed, except
# on the dependency bugs listed in tests/fuzz/known-dependency-issues.txt (reported, and the
# target restarted for the time left).
# The corpus (seeds plus what the fuzzers add) and any crash inputs stay in build-fuzz/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
build=${SIGNSNET_FUZZ_BUILD:-"$root/build-fuzz"}
data=${SIGNSNET_DATA:-"$root/../shared/datasets/signs"}
targets=(hdf5 jpeg png checkpoint)

echo "== building the fuzz targets in $build"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DSIGNSNET_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j "$(nproc)"

echo "== seed corpus from $data"
seeds="$build/seeds"
rm -rf "$seeds"
"$build/tests/fuzz/signsnet-fuzz-seeds" "$data" "$seeds"

# Each run: one process, ASan and UBSan (a UBSan report aborts), leak checking on. A C malloc
# over 512 MiB returns NULL instead of crashing: HDF5 trusts a variable-length string's declared
# length and mallocs it (tests/fuzz/README.md), and then fails cleanly on NULL. signsnet's own
# C++ allocations (operator new) over that size still crash the run, as they should.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=512
export LSAN_OPTIONS=suppressions="$root/tests/fuzz/lsan.supp"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1
known_file="$root/tests/fuzz/known-dependency-issues.txt"

# The id of the known dependency issue a crash log shows, or nothing: the stack frames printed
# before the first one in signsnet (or the fuzz target) must include a frame in the issue's
# library whose function matches its pattern. Failing that, a crash entirely inside HDF5 is
# reported as hdf5-internal(<function>) (tests/fuzz/README.md, "Crashes inside HDF5").
known_issue() {
  local log=$1 frames id lib pattern
  frames=$(awk '/ERROR: |runtime error|SUMMARY: /{on=1} on && /^ *#[0-9]+ /{
             if ($0 ~ /signsnet::|LLVMFuzzerTestOneInput/) exit; print }' "$log")
  while read -r id lib pattern; do
    case "$id" in '' | '#'*) continue ;; esac
    if grep "$lib" <<<"$frames" | grep -qE "in ($pattern)( |$)"; then
      echo "$id"
      return
    fi
  done <"$known_file"
  hdf5_internal "$log" "$frames"
}

# A crash is inside HDF5 when (1) the frames above signsnet's first frame include libhdf5 and
# are otherwise only libc, compression libraries or the sanitizer and fuzzer runtimes (no frame
# of signsnet's own code), and (2) every heap region the report names was allocated or freed by
# HDF5, not by signsnet (so a signsnet buffer handed to HDF5 too small still fails the run).
# (libc's routines carry the vector width in their names on some machines,
# __memcpy_avx512_unaligned_erms, and may be symbolized by their glibc source path, sysdeps/...,
# instead of libc.so.)
# Prints hdf5-internal(<first named HDF5 function>), or nothing.
hdf5_internal() {
  local log=$1 frames=$2 runtime function
  runtime='libhdf5|libc\.so|/sysdeps/|libz\.so|libsz\.so|libaec\.so|__interceptor_|__sanitizer|__asan|__ubsan|fuzzer::|in (malloc|calloc|realloc|free|memcpy|memmove|memset|__mem[a-z0-9_]+) '
  grep -q libhdf5 <<<"$frames" || return 0
  grep -vqE "$runtime" <<<"$frames" && return 0
  # The first frame after the allocator in each "allocated by" / "freed by" stack.
  if awk '/(allocated|freed) by thread/{want=1; next}
          want && /^ *#[0-9]+ /{ if ($0 ~ /in (malloc|calloc|realloc|free|operator new|operator delete)/) next;
                                 want=0; if ($0 !~ /libhdf5/) bad=1 }
          END{exit bad}' "$log"; then
    function=$(grep libhdf5 <<<"$frames" | grep -oE ' in H5[A-Za-z0-9_]+' | head -1 | sed 's/ in //')
    echo "hdf5-internal(${function:-unnamed})"
  fi
}

failed=0
summary=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  rm -rf "$artifacts" "$build/logs/$t"  # crash inputs and logs of this run only
  mkdir -p "$corpus" "$artifacts" "$build/logs/$t"
  echo "== fuzz_$t for ${seconds}s (logs: $build/logs/$t)"
  # A known dependency crash restarts the target for the time left (the corpus carries over).
  deadline=$((SECONDS + seconds))
  runs=0 part=0 known=() result="no crash"
  while [ $((deadline - SECONDS)) -ge 1 ]; do
    part=$((part + 1))
    log="$build/logs/$t/run$part.log"
    status=0
    # In a subshell that outlives the fuzzer, so bash's "Aborted" line goes to the log too.
    (
      "$build/tests/fuzz/fuzz_$t" "$corpus" "$seeds/$t" -max_total_time=$((deadline - SECONDS)) \
        -print_final_stats=1 -artifact_prefix="$artifacts/" -timeout=10 -rss_limit_mb=2048
      exit $?
    ) >"$log" 2>&1 || status=$?
    n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    runs=$((runs + ${n:-0}))
    [ "$status" -eq 0 ] && break
    input=$(ls -t "$artifacts" 2>/dev/null | head -1)
    issue=$(known_issue "$log")
    if [ -n "$issue" ]; then
      known+=("$issue ($artifacts/$input)")
      continue
    fi
    failed=1
    result="CRASHED (exit $status, input: $artifacts/${input:-none}, log: $log)"
    grep -m1 -E 'ERROR: |runtime error' "$log" || true
    break
  done
  line="fuzz_$t: $runs executions, $result"
  [ ${#known[@]} -gt 0 ] && line+="; known dependency issues (tests/fuzz/README.md): ${known[*]}"
  summary+=("$line")
done

echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
