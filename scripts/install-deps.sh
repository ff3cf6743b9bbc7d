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

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
