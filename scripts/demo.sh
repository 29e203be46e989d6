#!/usr/bin/env bash
# Set up, start the loopback demo lab, scan it, write HTML (vi, en), JSON, CSV, SARIF and JUnit reports into ./demo-report, stop the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/fourlayer demo --out demo-report "$@"
