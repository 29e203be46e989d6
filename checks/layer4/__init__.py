"""Layer 4, connection to the national monitoring system: declared connection, collector, agents."""

from fourlayer.checks.layer4 import host_connection, national  # noqa: F401
