#!/usr/bin/env bash
# Idempotent setup: system tools (nmap, OpenSSH, Chromium), a virtualenv in .venv, fourlayer installed into it.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nmap >/dev/null 2>&1 || need_apt+=(nmap)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
[ -x /usr/bin/ssh-keygen ] || need_apt+=(openssh-client)
# The HTML report is tested in a real headless browser (tests/browser): Debian's Chromium and its WebDriver.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# The test command's second pass runs the suite with the clock shifted a year ahead (libfaketime).
command -v faketime >/dev/null 2>&1 || need_apt+=(faketime)
# The zone engine (fourlayer worker / scan --broker) is tested against a real RabbitMQ node (tests/rabbitmq_node.py).
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need_apt+=(rabbitmq-server)
# Segmentation tests build real zones: network namespaces joined by veth pairs, with an nftables lab firewall.
[ -x /usr/sbin/nft ] || need_apt+=(nftables)
# `fourlayer audit-account`'s sudoers drop-in is tested with visudo and real `sudo -n` runs (tests/cli/test_audit_account.py).
[ -x /usr/bin/sudo ] || need_apt+=(sudo)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# pip and the build backend talk a lot (this machine's index notes, setuptools' notice on editable installs):
# keep it in a log, show it only when the install fails.
if ! .venv/bin/python -m pip install -q -e '.[test]' >.venv/install.log 2>&1; then
  cat .venv/install.log >&2
  echo "installing fourlayer failed (log: $(pwd)/.venv/install.log)" >&2
  exit 1
fi
echo "fourlayer installed in $(pwd)/.venv ($(.venv/bin/fourlayer --version))"
