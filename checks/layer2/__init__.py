"""Layer 2, professional monitoring and protection: SOC contract and reach, log forwarding, agents."""

from fourlayer.checks.layer2 import device_logs, host_agents, logs, monitoring, windows_monitoring  # noqa: F401
