#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (Release) and runs every test with
# ctest, then builds and runs the suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
# SIGNSNET_SKIP_SANITIZE=1 skips the second pass (quicker local runs).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/install-deps.sh"

echo "== Release build and tests"
"$root/scripts/build.sh" "$root/build"
ctest --test-dir "$root/build" --output-on-failure -j 2

if [ "${SIGNSNET_SKIP_SANITIZE:-0}" != "1" ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
  "$root/scripts/build.sh" "$root/build-asan" -DSIGNSNET_SANITIZE=ON -DSIGNSNET_BUILD_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
  # Leak checking (LeakSanitizer) is the reliability issue's work: this pass checks memory errors
  # and undefined behaviour. scripts/lsan.supp lists the runtime libraries' own allocations.
  ASAN_OPTIONS=detect_leaks=${SIGNSNET_DETECT_LEAKS:-0}:abort_on_error=1 \
  LSAN_OPTIONS=suppressions="$root/scripts/lsan.supp" \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j 2
fi
