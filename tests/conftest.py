"""Fixtures shared by the whole suite: real loopback sshd, TLS/HTTP listeners, the CLI and the demo lab scan."""

from tests.cli_fixtures import run_cli  # noqa: F401
from tests.demo_fixtures import demo_scan  # noqa: F401
from tests.ssh_fixtures import *  # noqa: F401,F403
from tests.tls_fixtures import *  # noqa: F401,F403
