"""Session fixtures: a lab PKI and real TLS / HTTP / SSH-banner / hostile listeners in one child process.

Addresses 127.0.0.150-199 belong to these fixtures (127.0.0.185-188 to the nmap targets of
tests/checks/test_checks_network.py, 127.0.0.179 to tests/checks/test_checks_ssh_wire.py). `from tests.tls_fixtures import *`
exposes the fixtures.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

import pytest

from fourlayer.collectors.reach import LOOPBACK_ENV
from fourlayer.config.inventory import Host, SSHSettings
from fourlayer.lab.certs import CertFiles, make_ca, make_leaf, write_chain, write_lab_certs
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import (LEGACY_OK_CIPHERS, NULL_ANON_CIPHERS, ListenerSpec, http_listener,
                                   ssh_identification, tls_listener)

__all__ = ["TLSLab", "ADDRESSES", "LAB_DNS", "XSS_CN", "CLOSED_ADDRESS", "FTP_BANNER", "HOSTILE_BANNER",
           "SSH_BANNERS", "SSH_BANNER_ADDRESS", "SSH_ZERO_KEXINIT", "loopback_only_env", "tls_lab_certs", "tls_lab"]

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
    # one flaw each (checks L1-TLS-004..009, L1-HTT-001..004)
    "tls-rsa1024": "127.0.0.156", "tls-sha1-leaf": "127.0.0.157", "tls-sha1-chain": "127.0.0.158",
    "tls-chain": "127.0.0.159", "tls-null-anon": "127.0.0.163", "tls-tls10": "127.0.0.164",
    "tls-partial": "127.0.0.165", "http-partial": "127.0.0.166",
}
# SSH identifications served (with an SSH-2 key exchange init where the protocol has one) on 127.0.0.178.
SSH_BANNER_ADDRESS = "127.0.0.178"
SSH_BANNERS = {
    "ssh-vulnerable": "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2",  # regreSSHion, before Debian's fix
    "ssh-backported": "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",  # the same version with Debian's fix
    "ssh-ubuntu-old": "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1",  # before Ubuntu's fix (3ubuntu0.10)
    "ssh-current": "SSH-2.0-OpenSSH_9.8p1",
    "ssh-no-version": "SSH-2.0-Go",
    "ssh-199": "SSH-1.99-OpenSSH_3.9p1",
    "ssh-15": "SSH-1.5-1.2.27",
}

# An OpenSSH identification, then a well-framed 34,000-byte packet whose payload is SSH_MSG_KEXINIT (20) followed by
# zeros: every name-list is empty. Served as "ssh-zero-kexinit" on SSH_BANNER_ADDRESS.
SSH_ZERO_KEXINIT = b"SSH-2.0-OpenSSH_9.6\r\n" + struct.pack(">IB", 34000 - 4, 4) + b"\x14" + b"\x00" * (34000 - 6)


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


    def ssh_host(self, name: str) -> Host:
        """A Host whose SSH port is the SSH banner listener `name` (see SSH_BANNERS)."""
        address, port = self.endpoints[name]
        return Host(address=address, id=f"lab-{name}", roles=("linux",), ssh=SSHSettings(port=port))


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
    # an RSA PKI: root -> SHA-1 signed intermediate -> SHA-256 leaf; root -> SHA-256 intermediate -> leaf;
    # root -> SHA-1 signed leaf
    rsa_dir = directory / "rsa-pki"
    root = make_ca(rsa_dir, "fourlayer lab RSA root", key_type="rsa", stem="rsa-root", path_length=1)
    weak_int = make_ca(rsa_dir, "fourlayer lab SHA-1 intermediate", "rsa", "sha1-int", parent=root, sha1=True)
    good_int = make_ca(rsa_dir, "fourlayer lab intermediate", "rsa", "good-int", parent=root)
    certs["rsa-root"] = root.files
    certs["sha1-chain"] = write_chain(rsa_dir, make_leaf("good", rsa_dir, weak_int, LAB_DNS, stem="sha1-int-leaf"),
                                      weak_int)
    certs["chain"] = write_chain(rsa_dir, make_leaf("good", rsa_dir, good_int, LAB_DNS, stem="good-int-leaf"),
                                 good_int)
    certs["sha1"] = make_leaf("sha1", rsa_dir, root, LAB_DNS)
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
        # one flaw each
        tls_listener("rsa1024", tls_lab_certs, a["tls-rsa1024"]),
        tls_listener("good", tls_lab_certs, a["tls-sha1-leaf"], name="tls-sha1-leaf", cert=tls_lab_certs["sha1"],
                     ciphers=LEGACY_OK_CIPHERS),
        tls_listener("good", tls_lab_certs, a["tls-sha1-chain"], name="tls-sha1-chain",
                     cert=tls_lab_certs["sha1-chain"], ciphers=LEGACY_OK_CIPHERS),
        tls_listener("good", tls_lab_certs, a["tls-chain"], name="tls-chain", cert=tls_lab_certs["chain"]),
        tls_listener("good", tls_lab_certs, a["tls-null-anon"], name="tls-null-anon", ciphers=NULL_ANON_CIPHERS),
        tls_listener("good", tls_lab_certs, a["tls-tls10"], name="tls-tls10", versions=("TLSv1", "TLSv1"),
                     ciphers=LEGACY_OK_CIPHERS),
        tls_listener("good", tls_lab_certs, a["tls-partial"], name="tls-partial", http_profile="partial"),
        http_listener("partial", a["http-partial"]),
    ]
    specs += [ListenerSpec("banner", SSH_BANNER_ADDRESS, name=name, banner=ssh_identification(text))
              for name, text in SSH_BANNERS.items()]
    specs.append(ListenerSpec("banner", SSH_BANNER_ADDRESS, name="ssh-zero-kexinit", banner=SSH_ZERO_KEXINIT))
    process = ListenerProcess(specs).start()
    try:
        yield TLSLab(tls_lab_certs, process, dict(process.endpoints))
    finally:
        process.stop()
