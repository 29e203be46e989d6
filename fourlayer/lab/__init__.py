"""Loopback test lab: real sshd, TLS, HTTP and TCP listeners on 127.0.0.x for the demo, tests and benchmarks."""
