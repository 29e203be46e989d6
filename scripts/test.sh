#!/usr/bin/env bash
# Set up and run the whole test suite (real sshd/TLS/HTTP services on 127.0.0.x, started by fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FOURLAYER_LOOPBACK_ONLY=1
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "no tests collected"; exit 1; fi
exit "$rc"
