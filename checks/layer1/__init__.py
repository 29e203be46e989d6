"""Layer 1, on-site force: exposed services, SSH, TLS, HTTP, accounts, host hardening (Linux and Windows), the security
officer."""

from fourlayer.checks.layer1 import (  # noqa: F401
    accounts,
    banners,
    device_access,
    device_accounts,
    device_policy,
    http,
    integrity,
    kernel,
    mounts,
    network,
    org,
    pam_policy,
    permissions,
    services,
    ssh,
    ssh_wire,
    sshd_settings,
    tls,
    updates,
    world_writable,
    windows_accounts,
    windows_host,
    zones,
)
