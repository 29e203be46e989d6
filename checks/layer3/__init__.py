"""Layer 3, independent periodic inspection: assessments, known-vulnerable versions, persistent findings."""

from fourlayer.checks.layer3 import inspection, vulns, persistent  # noqa: F401
