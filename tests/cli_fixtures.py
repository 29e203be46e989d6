"""Run the real CLI in-process and return its output; a non-zero exit fails the test unless expected."""

import pytest
from click.testing import CliRunner

from fourlayer.cli import main


@pytest.fixture
def run_cli():
    def run(*args, expect: int = 0) -> str:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == expect, f"exit {result.exit_code}: {result.output}"
        return result.output

    return run
