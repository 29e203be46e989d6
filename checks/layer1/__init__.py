"""Layer 1, on-site force: exposed services, SSH, TLS, HTTP, accounts, host hardening, the security officer."""

from fourlayer.checks.layer1 import (  # noqa: F401
    accounts,
    host,
    http,
    network,
    org,
    ssh,
    ssh_wire,
    tls,
    zones,
)
