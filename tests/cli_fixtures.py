"""Run the real CLI in-process and return its output; a non-zero exit fails the test unless expected."""

import pytest
from click.testing import CliRunner

from fourlayer.cli.main import main


@pytest.fixture
def run_cli():
    def run(*args, expect: int = 0) -> str:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == expect, f"exit {result.exit_code}: {result.output}"
        return result.output

    return run


def run_on_terminal(cmd: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """(exit code, everything written to stderr) of `cmd` run with stderr on a pseudo-terminal."""
    import os
    import pty
    import subprocess

    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=timeout)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")
