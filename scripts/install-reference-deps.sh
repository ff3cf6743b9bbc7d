#!/usr/bin/env bash
# Installs the PyTorch reference's dependencies (bench/pytorch_reference.py) from Debian 12 packages.
# Run as root (or with sudo). Idempotent: does nothing when every package is already installed.
# The reference must then be run with Debian's interpreter: /usr/bin/python3 bench/pytorch_reference.py
set -euo pipefail

packages=(python3-torch python3-h5py libopenblas0-pthread)

source "$(dirname "${BASH_SOURCE[0]}")/apt-packages.sh"
apt_install_missing install-reference-deps "${packages[@]}"

/usr/bin/python3 -c 'import torch, h5py; print("torch", torch.__version__, "h5py", h5py.__version__)'
