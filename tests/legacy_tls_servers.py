"""Legacy TLS servers the system OpenSSL 3 refuses to serve (RC4-only, 3DES-only, DH groups under 1024 bits,
composite or non-safe DH moduli), played by tlslite-ng, a pure-Python TLS implementation (a test dependency).

Run as a child by `fourlayer.lab.serve.ListenerProcess(specs, module="tests.legacy_tls_servers")`: one JSON line of
specs on stdin, one ready line on stdout, exit when stdin closes. Binds to 127.0.0.0/8 only.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from dataclasses import asdict, dataclass

from fourlayer.lab.servers import require_loopback


@dataclass
class LegacySpec:
    """One tlslite-ng listener: `ciphers` and `key_exchange` are tlslite names (e.g. ["rc4"], ["rsa"]);
    `dh` the group (p, g) as decimal strings for DHE suites."""

    name: str
    host: str
    cert_file: str
    key_file: str
    ciphers: tuple[str, ...] = ("aes128",)
    key_exchange: tuple[str, ...] = ("rsa",)
    dh: tuple[str, str] | None = None
    versions: tuple[str, ...] = ("TLSv1", "TLSv1.1", "TLSv1.2")
    port: int = 0

    def __post_init__(self) -> None:
        require_loopback(self.host)

    def to_json(self) -> dict:
        return asdict(self)


_VERSIONS = {"TLSv1": (3, 1), "TLSv1.1": (3, 2), "TLSv1.2": (3, 3)}


def _serve(spec: LegacySpec, listener: socket.socket) -> None:
    from tlslite.api import HandshakeSettings, TLSConnection, X509, X509CertChain, parsePEMKey

    with open(spec.cert_file, encoding="ascii") as fh:
        chain = X509CertChain([X509().parse(fh.read())])
    with open(spec.key_file, encoding="ascii") as fh:
        key = parsePEMKey(fh.read(), private=True)
    settings = HandshakeSettings()
    settings.cipherNames = list(spec.ciphers)
    settings.keyExchangeNames = list(spec.key_exchange)
    settings.versions = sorted((_VERSIONS[v] for v in spec.versions), reverse=True)
    settings.minVersion, settings.maxVersion = min(settings.versions), max(settings.versions)
    if spec.dh:
        settings.dhParams = (int(spec.dh[1]), int(spec.dh[0]))  # tlslite: (g, p)
        settings.dhGroups = []  # never the RFC 7919 groups instead

    def one(sock: socket.socket) -> None:
        sock.settimeout(10)
        conn = TLSConnection(sock)
        try:
            conn.handshakeServer(certChain=chain, privateKey=key, settings=settings)
            conn.close()
        except Exception:  # noqa: BLE001 - probing clients hang up mid-handshake on purpose
            pass
        finally:
            sock.close()

    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=one, args=(sock,), daemon=True).start()


def main() -> int:
    specs = [LegacySpec(**{**d, "ciphers": tuple(d["ciphers"]), "key_exchange": tuple(d["key_exchange"]),
                           "versions": tuple(d["versions"]), "dh": tuple(d["dh"]) if d.get("dh") else None})
             for d in json.loads(sys.stdin.buffer.readline())]
    bound = []
    for spec in specs:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((spec.host, spec.port))
        listener.listen(16)
        threading.Thread(target=_serve, args=(spec, listener), daemon=True).start()
        bound.append({"name": spec.name, "host": spec.host, "port": listener.getsockname()[1]})
    print(json.dumps({"ready": True, "pid": os.getpid(), "listeners": bound}), flush=True)
    while sys.stdin.buffer.read(4096):
        pass
    return 0


if __name__ == "__main__":
    if "--stdin" not in sys.argv:
        sys.exit("usage: python -m tests.legacy_tls_servers --stdin")
    sys.exit(main())
