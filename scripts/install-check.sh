#!/usr/bin/env bash
# Installs signsnet from a build folder into a fresh prefix (cmake --install), builds the example
# application examples/classify against that prefix with find_package(signsnet), and checks that
# it classifies SIGNS photos exactly as the installed signsnet-cli does with the same checkpoint
# (a tiny ResNet trained here by the installed CLI for four epochs).
# Usage: scripts/install-check.sh [build-dir]   (SIGNSNET_DATA: the SIGNS folder)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$root/build"}
data=${SIGNSNET_DATA:-"$root/../shared/datasets/signs"}
photos="$data/images/test_signs"
[ -f "$build/CMakeCache.txt" ] || { echo "install-check: no build in $build (scripts/build.sh)" >&2; exit 2; }
[ -d "$photos" ] || { echo "install-check: missing $photos" >&2; exit 2; }
build=$(cd "$build" && pwd)

work="$build/install-check"
rm -rf "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work.log" 2>&1 || { cat "$work.log" >&2; exit 1; }
mkdir -p "$work"
mv "$work.log" "$work/install.log"
for f in bin/signsnet-cli bin/signsnet-bench lib/libsignsnet.a include/signsnet/model.hpp \
         lib/cmake/signsnet/signsnetConfig.cmake lib/cmake/signsnet/signsnetConfigVersion.cmake; do
  [ -e "$prefix/$f" ] || { echo "install-check: $prefix/$f was not installed" >&2; exit 1; }
done
echo "install-check: installed into $prefix ($(wc -l <"$work/install.log") files)"

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
cmake -S "$root/examples/classify" -B "$work/classify" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >"$work/classify-configure.log"
cmake --build "$work/classify" >"$work/classify-build.log"
echo "install-check: examples/classify built against the installed package"

cli="$prefix/bin/signsnet-cli"
"$cli" train --train "$data/images/val_signs" --config tiny --epochs 4 --batch 32 --seed 5 \
  --threads 2 --out "$work/run" --json >"$work/train.log"
images=()
for label in 0 1 2 3 4 5; do
  class_photos=("$photos/${label}"_*.jpg)
  images+=("${class_photos[@]:0:2}")
done
"$work/classify/signsnet-classify" "$work/run/last.h5" "${images[@]}" >"$work/classify.out"
"$cli" predict --checkpoint "$work/run/last.h5" "${images[@]}" >"$work/predict.out"
# Both print, per image, its path, the notebook's sentence and one line per class.
if ! diff -u "$work/predict.out" "$work/classify.out"; then
  echo "install-check: signsnet-classify and signsnet-cli predict disagree (above)" >&2
  exit 1
fi
echo "install-check: signsnet-classify and signsnet-cli predict agree on ${#images[@]} photos:"
# (grep -c exits 1 when it counts none: a tiny model after four epochs may be sure of no photo.)
confident=$(grep -c "The number of this image is" "$work/classify.out" || true)
echo "  confident: $confident of ${#images[@]}"
