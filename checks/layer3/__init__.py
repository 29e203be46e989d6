"""Layer 3, independent periodic inspection: assessments, installed packages and announced versions against
advisories, persistent findings."""

from fourlayer.checks.layer3 import device_firmware, inspection, packages, persistent, vulns  # noqa: F401
