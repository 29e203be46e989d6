"""Fixtures shared by the whole suite: real loopback sshd, TLS/HTTP listeners, the CLI and the demo lab scan."""

from tests.cli_fixtures import run_cli  # noqa: F401
from tests.demo_fixtures import demo_scan  # noqa: F401
from tests.host_lab import host_root, loose_sshd  # noqa: F401
from tests.ssh_fixtures import *  # noqa: F401,F403
from tests.tls_fixtures import *  # noqa: F401,F403


import os  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _private_history_db(tmp_path_factory):
    """Scans in tests store their history in a throwaway database, never the user's ~/.local/share one."""
    os.environ["FOURLAYER_DB"] = str(tmp_path_factory.mktemp("history") / "history.sqlite")
    yield
