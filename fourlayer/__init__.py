"""fourlayer: security posture audit for Vietnam's 4-layer information-security protection model."""

__version__ = "0.1.0"
