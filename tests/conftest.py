"""Shared fixtures: real loopback services (SSH, TLS/HTTP) and the CLI."""

from tests.ssh_fixtures import *  # noqa: F401,F403
from tests.tls_fixtures import *  # noqa: F401,F403
from tests.cli_fixtures import *  # noqa: F401,F403
