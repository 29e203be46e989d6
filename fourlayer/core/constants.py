"""Names every layer of fourlayer shares, in a module that imports nothing (the CLI's start-up reads it)."""

SEVERITIES = ("critical", "high", "medium", "low", "info")  # most severe first: the one ordered list (Severity)
