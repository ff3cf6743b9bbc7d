#!/usr/bin/env bash
# Installs everything signsnet needs to build and test on Debian 12, from Debian's own packages.
# Run as root (or with sudo available). Safe to run again: apt-get skips what is installed.
set -euo pipefail
# ocl-icd-opencl-dev: Debian builds oneDNN with its OpenCL GPU runtime, so dnnl-config.cmake
# requires OpenCL even though signsnet only uses the CPU engine.

packages=(
  build-essential cmake ninja-build pkg-config
  libdnnl-dev ocl-icd-opencl-dev libtbb-dev libhdf5-dev
  libcli11-dev libbenchmark-dev libgtest-dev libgmock-dev
  libjpeg62-turbo-dev libpng-dev nlohmann-json3-dev
)

source "$(dirname "${BASH_SOURCE[0]}")/apt-packages.sh"
apt_install_missing install-deps --no-install-recommends -- "${packages[@]}"
