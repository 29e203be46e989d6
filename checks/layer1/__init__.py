"""Layer 1, on-site force: exposed services, SSH, TLS, HTTP, accounts, host hardening, the security officer."""

from fourlayer.checks.layer1 import network, ssh, accounts, host, ssh_wire, tls, http, org  # noqa: F401
