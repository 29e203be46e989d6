"""Session fixtures: a lab PKI and real TLS / HTTP / banner / hostile listeners in one child process.

Addresses 127.0.0.150-199 belong to these fixtures. `from tests.tls_fixtures import *` exposes the fixtures.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from fourlayer.collectors.reach import LOOPBACK_ENV
from fourlayer.inventory import Host
from fourlayer.lab.certs import CertFiles, make_ca, make_leaf, write_lab_certs
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec, http_listener, tls_listener

__all__ = ["TLSLab", "ADDRESSES", "LAB_DNS", "XSS_CN", "CLOSED_ADDRESS", "FTP_BANNER", "HOSTILE_BANNER",
           "loopback_only_env", "tls_lab_certs", "tls_lab"]

LAB_DNS = "lab.fourlayer.test"
XSS_CN = "<script>alert(1)</script>"
CLOSED_ADDRESS = "127.0.0.199"  # nothing listens here
FTP_BANNER = b"220 ProFTPD 1.3.3 Server ready\r\n"
HOSTILE_BANNER = b"220 \x1b[31m<script>alert(1)</script>\x00\xff" + b"A" * 5000 + b"\r\n"
TLS_RECORD_HEADER = bytes.fromhex("1603034000")  # a handshake record announcing 16 KiB, then a drip

# name -> address; ports are chosen by the child (port 0) and read back.
ADDRESSES = {
    "tls-good": "127.0.0.150", "tls-weak": "127.0.0.151", "tls-expired": "127.0.0.152",
    "tls-expiring": "127.0.0.153", "tls-mismatch": "127.0.0.154", "tls-xss": "127.0.0.155",
    "http-good": "127.0.0.160", "http-weak": "127.0.0.161", "http-hostile": "127.0.0.162",
    "tarpit": "127.0.0.170", "garbage": "127.0.0.170", "drip-tls": "127.0.0.170", "drip-http": "127.0.0.170",
    "tarpit-150": "127.0.0.150",  # beside tls-good, to show one bad port does not spoil a host
    "banner-ftp": "127.0.0.174", "banner-hostile": "127.0.0.175", "sink": "127.0.0.176",
}


@dataclass
class TLSLab:
    """The running lab: certificates, the listener process and name -> (address, port)."""

    certs: dict[str, CertFiles]
    process: ListenerProcess
    endpoints: dict[str, tuple[str, int]] = field(default_factory=dict)

    def endpoint(self, name: str) -> tuple[str, int]:
        return self.endpoints[name]

    def host(self, *names: str, http: tuple[str, ...] = (), server_name: str | None = LAB_DNS,
             ca_file: str | None | bool = True, address: str | None = None) -> Host:
        """A Host whose TLS ports are the listeners `names` and plain-HTTP ports the listeners `http`.
        All listeners must share one address unless `address` is given (ports are then taken as they are)."""
        addrs = {self.endpoints[n][0] for n in names + http}
        if address is None:
            if len(addrs) != 1:
                raise ValueError(f"listeners {names + http} are on different addresses: {addrs}")
            address = addrs.pop()
        ca = self.certs["ca"].cert if ca_file is True else (ca_file or None)
        return Host(address=address, id=f"lab-{address}", roles=("web",),
                    tls=tuple(self.endpoints[n][1] for n in names),
                    http=tuple(self.endpoints[n][1] for n in http),
                    tls_ca_file=ca, tls_server_name=server_name)


@pytest.fixture(scope="session", autouse=True)
def loopback_only_env():
    """Every collector refuses non-loopback targets for the whole test session."""
    old = os.environ.get(LOOPBACK_ENV)
    os.environ[LOOPBACK_ENV] = "1"
    yield
    if old is None:
        os.environ.pop(LOOPBACK_ENV, None)
    else:
        os.environ[LOOPBACK_ENV] = old


@pytest.fixture(scope="session")
def tls_lab_certs(tmp_path_factory) -> dict[str, CertFiles]:
    """Lab CA (ca.pem) and leaves good/expired/weak/expiring/mismatch for LAB_DNS + 127.0.0.150, plus `xss`
    (a CA-signed leaf whose subject CN is XSS_CN)."""
    directory = tmp_path_factory.mktemp("tls-lab-certs")
    certs = write_lab_certs(directory, dns_name=LAB_DNS, ip=ADDRESSES["tls-good"])
    ca = make_ca(directory / "xss-ca")
    certs["xss-ca"] = ca.files
    certs["xss"] = make_leaf("good", directory, ca, LAB_DNS, ADDRESSES["tls-xss"], common_name=XSS_CN, stem="xss")
    return certs


@pytest.fixture(scope="session")
def tls_lab(tls_lab_certs) -> TLSLab:
    a = ADDRESSES
    specs = [tls_listener(profile, tls_lab_certs, a[f"tls-{profile}"])
             for profile in ("good", "weak", "expired", "expiring", "mismatch")]
    specs += [
        tls_listener("good", tls_lab_certs, a["tls-xss"], name="tls-xss", cert=tls_lab_certs["xss"]),
        http_listener("good", a["http-good"]), http_listener("weak", a["http-weak"]),
        http_listener("hostile", a["http-hostile"]),
        ListenerSpec("tarpit", a["tarpit"], name="tarpit"),
        ListenerSpec("tarpit", a["tarpit-150"], name="tarpit-150"),
        ListenerSpec("garbage", a["garbage"], name="garbage"),
        ListenerSpec("drip", a["drip-tls"], name="drip-tls", banner=TLS_RECORD_HEADER),
        ListenerSpec("drip", a["drip-http"], name="drip-http", banner=b"HTTP/1.1 200 OK\r\nX-Slow: "),
        ListenerSpec("banner", a["banner-ftp"], name="banner-ftp", banner=FTP_BANNER),
        ListenerSpec("banner", a["banner-hostile"], name="banner-hostile", banner=HOSTILE_BANNER),
        ListenerSpec("sink", a["sink"], name="sink"),
    ]
    process = ListenerProcess(specs).start()
    try:
        yield TLSLab(tls_lab_certs, process, dict(process.endpoints))
    finally:
        process.stop()
