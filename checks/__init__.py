"""Built-in checks, one module per layer and area. Importing this package registers them all."""

from fourlayer.checks import (  # noqa: F401  (import = registration)
    layer1_network,
    layer1_ssh,
    layer1_accounts,
    layer1_host,
    layer1_ssh_wire,
    layer1_tls,
    layer1_http,
    layer1_org,
    layer2_monitoring,
    layer2_logging,
    layer2_host_agents,
    layer3_inspection,
    layer3_vulns,
    layer3_packages,
    layer3_persistent,
    layer4_national,
    layer4_host_connection,
)
