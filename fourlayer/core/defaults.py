"""Scan defaults: the one place the command line, the runner and the demo take them from."""

CONCURRENCY = 16  # hosts scanned in parallel
TIMEOUT = 5.0  # seconds for one network operation
HOST_TIMEOUT = 180.0  # seconds for everything on one host
ZONE_TIMEOUT = 120.0  # with --broker: seconds a zone may stay silent before its hosts get ERROR
DISCOVERY_BATCH = 16  # hosts per nmap run of the discovery stage (1 = one nmap per host); bench/RESULTS.md
SPOOL_MEMORY_MB = 32  # a run's results stay in memory up to about this size, then go to disk (core/spool.py)
LOCK_TIMEOUT = 30.0  # seconds to wait for a history database another scan holds

# The demo lab is four loopback hosts on a 2-core machine: fewer threads, and a tighter host budget.
DEMO_CONCURRENCY = 8
DEMO_HOST_TIMEOUT = 120.0
