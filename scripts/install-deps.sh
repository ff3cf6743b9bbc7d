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

packages=(
  build-essential cmake ninja-build pkg-config
  libdnnl-dev ocl-icd-opencl-dev libtbb-dev libhdf5-dev
  libcli11-dev libbenchmark-dev libgtest-dev libgmock-dev
  libjpeg62-turbo-dev libpng-dev nlohmann-json3-dev
  clang-14 libclang-rt-14-dev libomp-14-dev
)

source "$(dirname "${BASH_SOURCE[0]}")/apt-packages.sh"
apt_install_missing install-deps --no-install-recommends -- "${packages[@]}"
