"""Names every layer of fourlayer shares, in a module that imports nothing (the CLI's start-up reads it)."""

SEVERITIES = ("critical", "high", "medium", "low", "info")  # most severe first: the one ordered list (Severity)
# A vulnerability's severity, as advisories and the banner table grade it (no "info"); "unknown" where an imported
# advisory gives none.
VULN_SEVERITIES = SEVERITIES[:4]
ADVISORY_SEVERITIES = VULN_SEVERITIES + ("unknown",)
