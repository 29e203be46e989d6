"""Exit codes a scheduler can act on (docs/exit-codes.md is the list; this module is the one place they live)."""

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2
EXIT_BELOW_SCORE, EXIT_FAIL_ON, EXIT_BUSY, EXIT_INVALID_SIGNATURE = 3, 4, 5, 6
EXIT_REPORTS_NOT_WRITTEN, EXIT_HISTORY_NOT_STORED = 7, 8
EXIT_SIGNER_NOT_CHECKED = 9  # `verify`: signatures valid, but no --pubkey/--allowed-signers said whose key
EXIT_SIGINT, EXIT_SIGTERM = 130, 143
EXIT_INTERRUPTED = EXIT_SIGINT
