"""Built-in checks, one module per layer and area. Importing this package registers them all."""

from fourlayer.checks import (  # noqa: F401  (import = registration)
    layer1_network,
    layer1_ssh,
    layer1_tls,
    layer1_org,
    layer2_monitoring,
    layer3_inspection,
    layer4_national,
)
