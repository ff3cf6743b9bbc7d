#!/usr/bin/env bash
# Installs everything signsnet needs to build and test on Debian 12, from Debian's own packages.
# Run as root (or with sudo available). Safe to run again: apt-get skips what is installed.
set -euo pipefail
# ocl-icd-opencl-dev: Debian builds oneDNN with its OpenCL GPU runtime, so dnnl-config.cmake
# requires OpenCL even though signsnet only uses the CPU engine.
# clang-14, libclang-rt-14-dev (libFuzzer, ASan and UBSan runtimes: only recommended by clang,
# so not pulled in with --no-install-recommends) and libomp-14-dev (clang's OpenMP): the fuzz
# build (scripts/fuzz.sh). Debian's libfuzzer-14-dev is not needed: -fsanitize=fuzzer links the
# runtime from libclang-rt-14-dev.
# libprotobuf-dev, protobuf-compiler and libonnx-dev (onnx.proto and its generated classes): the
# ONNX export. chromium, Node.js and npm: the tests that run an exported model in ONNX Runtime and
# render the HTML report (tests/node holds their npm packages, installed below).
# openmpi-bin and libopenmpi-dev: data-parallel training over MPI (mpirun, and the 2-rank tests).

packages=(
  build-essential cmake ninja-build pkg-config
  libdnnl-dev ocl-icd-opencl-dev libtbb-dev libhdf5-dev
  libcli11-dev libbenchmark-dev libgtest-dev libgmock-dev
  libjpeg62-turbo-dev libpng-dev nlohmann-json3-dev
  clang-14 libclang-rt-14-dev libomp-14-dev
  libprotobuf-dev protobuf-compiler libonnx-dev
  chromium fonts-dejavu-core
  openmpi-bin libopenmpi-dev
)
# Node.js and npm usually come with the machine (not always Debian's build, whose npm package
# would conflict with it): Debian's are installed only where the commands are missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

source "$(dirname "${BASH_SOURCE[0]}")/apt-packages.sh"
apt_install_missing install-deps --no-install-recommends -- "${packages[@]}"

# npm packages for the tests, at the versions in tests/node/package-lock.json. --ignore-scripts:
# onnxruntime-node ships its CPU binaries in the package; its install script would only try to
# download GPU ones.
node_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/node" && pwd)"
if [ ! -f "$node_dir/node_modules/.package-lock.json" ] ||
   ! cmp -s "$node_dir/package-lock.json" "$node_dir/.installed-lock.json"; then
  echo "install-deps: npm ci in tests/node"
  (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$node_dir/package-lock.json" "$node_dir/.installed-lock.json"
else
  echo "install-deps: tests/node packages already installed"
fi
