#!/usr/bin/env bash
# Set up and run the whole test suite (real sshd/TLS/HTTP services on 127.0.0.x, started by fixtures), twice:
# on the real clock, then with the clock shifted by libfaketime (FOURLAYER_CLOCK_SHIFT, default '+400 days'),
# so that a test which depends on today's date fails the day it is written, not months later.
# FOURLAYER_CLOCK_SHIFT=none runs the real-clock pass only. Arguments go to pytest (both passes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FOURLAYER_LOOPBACK_ONLY=1
shift_by=${FOURLAYER_CLOCK_SHIFT:-+400 days}

run_pass() {  # run_pass LABEL [faketime args...] -- pytest args...
  local label=$1; shift
  local pre=()
  while [ "$1" != "--" ]; do pre+=("$1"); shift; done
  shift
  echo "== test pass: $label"
  set +e
  "${pre[@]}" .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
  local rc=$?
  set -e
  if [ "$rc" -eq 5 ]; then echo "no tests collected ($label)"; return 1; fi
  return "$rc"
}

run_pass "real clock" env -- "$@"
if [ "$shift_by" != "none" ]; then
  # Tests marked `real_timers` are skipped in this pass, each by name with its reason (tests/conftest.py).
  run_pass "clock shifted by $shift_by" faketime "$shift_by" -- "$@"
fi
