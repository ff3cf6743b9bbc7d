#!/usr/bin/env bash
# Installs the PyTorch reference's dependencies (bench/pytorch_reference.py) from Debian 12 packages.
# Run as root (or with sudo). Idempotent: does nothing when every package is already installed.
# The reference must then be run with Debian's interpreter: /usr/bin/python3 bench/pytorch_reference.py
set -euo pipefail

packages=(python3-torch python3-h5py libopenblas0-pthread)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-reference-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
else
  echo "install-reference-deps: all ${#packages[@]} packages already installed"
fi

/usr/bin/python3 -c 'import torch, h5py; print("torch", torch.__version__, "h5py", h5py.__version__)'
