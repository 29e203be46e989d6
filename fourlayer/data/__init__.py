"""Data shipped with fourlayer: the default policy, the framework mappings, the offline vulnerable-versions table."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
