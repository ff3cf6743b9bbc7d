#!/usr/bin/env bash
# One command from a new Debian 12 machine to a trained model: installs the dependencies, builds
# (Release) and trains the default recipe on SIGNS. Arguments are passed to `signsnet-cli train`
# (e.g. --preset notebook, --epochs 5, --seed 1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build"
cd "$root"
exec "$root/build/cli/signsnet-cli" train "$@"
