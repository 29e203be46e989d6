#!/usr/bin/python3
"""RECORDED OUTPUT, NOT A WINDOWS HOST: the command a lab sshd forces (`ForceCommand`) for a "Windows" lab host.

It stands in for cmd.exe + powershell.exe on a Windows host's OpenSSH server. For the exact command line the
client sent (SSH_ORIGINAL_COMMAND), it prints the bytes recorded in its table (what Windows prints for that
command, in the formats Microsoft documents) and exits with the recorded status. Any other command line is
refused (exit 1, cmd.exe's "is not recognized" message) and logged, so a test can prove that only allowlisted
commands were sent, and that no POSIX command ever reached a Windows host.

Standard library only: it runs as the lab's audit account under the system python3, not the project's venv.
Usage (by sshd only): windows_gate.py TABLE.json LOG.jsonl
"""

import base64
import json
import os
import sys
import time


def main() -> int:
    table_path, log_path = sys.argv[1], sys.argv[2]
    command = os.environ.get("SSH_ORIGINAL_COMMAND", "")
    with open(table_path, encoding="utf-8") as fh:
        entry = json.load(fh).get(command)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(json.dumps({"command": command, "recorded": entry is not None}) + "\n")
    if entry is None:
        program = command.split()[0] if command.split() else "(an interactive shell)"
        sys.stderr.write(f"'{program}' is not recognized as an internal or external command,\r\n"
                         "operable program or batch file.\r\n"
                         "[recorded-output stand-in, not a Windows host: this command line is not in its table]\r\n")
        return 1
    time.sleep(float(entry.get("sleep", 0)))  # a cmdlet that hangs (tests of the collector's deadline)
    sys.stdout.buffer.write(base64.b64decode(entry["stdout"]))
    sys.stdout.flush()
    sys.stderr.buffer.write(base64.b64decode(entry["stderr"]))
    sys.stderr.flush()
    return int(entry["rc"])


if __name__ == "__main__":
    sys.exit(main())
