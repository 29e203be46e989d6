"""Run lab listeners in a child process.

    python -m fourlayer.lab.serve --certs DIR --tls 127.0.0.150:8443:good --http 127.0.0.151:8080:weak \\
        --banner '127.0.0.152:2121:220 ProFTPD 1.3.3 Server ready' --sink 127.0.0.153:1514 --tarpit 127.0.0.154:9999 \\
        --ssh '127.0.0.155:2222:SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1'

With `--stdin`, one JSON line of specs is read from stdin and the process exits when stdin closes (so listeners
never outlive the parent). Either way it prints one JSON line when every listener is bound:
{"ready": true, "listeners": [{"name", "host", "port"}]} (or {"ready": false, "error": ...}).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import fourlayer
from fourlayer.lab.certs import write_lab_certs
from fourlayer.lab.servers import (HTTP_PROFILES, TLS_PROFILES, ListenerSpec, http_listener,
                                   quiet_exception_handler, require_loopback, ssh_identification, start_listener,
                                   tls_listener)


# --- child side ------------------------------------------------------------------------------------------------

async def _serve(specs: list[ListenerSpec], watch_stdin: bool) -> int:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(quiet_exception_handler)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if watch_stdin:
        def wait_eof() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            loop.call_soon_threadsafe(stop.set)
        threading.Thread(target=wait_eof, daemon=True).start()
    servers, bound = [], []
    try:
        for spec in specs:
            server = await start_listener(spec)
            servers.append(server)
            host, port = server.sockets[0].getsockname()[:2]
            bound.append({"name": spec.name, "kind": spec.kind, "host": host, "port": port})
    except Exception as exc:  # report why, then exit non-zero
        print(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(json.dumps({"ready": True, "pid": os.getpid(), "listeners": bound}), flush=True)
    await stop.wait()
    for server in servers:
        server.close()
    return 0


def _addr(text: str) -> tuple[str, int, str]:
    host, port, *rest = text.split(":", 2)
    return host, int(port), rest[0] if rest else ""


def _specs_from_args(args: argparse.Namespace) -> list[ListenerSpec]:
    specs: list[ListenerSpec] = []
    for item in args.tls + args.http + args.banner + args.ssh + args.sink + args.tarpit + args.garbage:
        require_loopback(_addr(item)[0])  # before writing any certificate
    if args.tls:
        certs_dir = Path(args.certs or tempfile.mkdtemp(prefix="fourlayer-lab-certs-"))
        first_ip = _addr(args.tls[0])[0]
        certs = write_lab_certs(certs_dir, dns_name=args.dns_name, ip=first_ip)
        print(f"lab CA: {certs['ca'].cert}", file=sys.stderr)
        for item in args.tls:
            host, port, profile = _addr(item)
            specs.append(tls_listener(profile or "good", certs, host, port, name=f"tls-{profile}@{host}:{port}"))
    for item in args.http:
        host, port, profile = _addr(item)
        specs.append(http_listener(profile or "good", host, port, name=f"http-{profile}@{host}:{port}"))
    for item in args.banner:
        host, port, text = _addr(item)
        specs.append(ListenerSpec("banner", host, port, banner=text.encode() + b"\r\n"))
    for item in args.ssh:
        host, port, text = _addr(item)
        specs.append(ListenerSpec("banner", host, port, name=f"ssh@{host}:{port}", banner=ssh_identification(text)))
    for kind in ("sink", "tarpit", "garbage"):
        for item in getattr(args, kind):
            host, port, _ = _addr(item)
            specs.append(ListenerSpec(kind, host, port))
    return specs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fourlayer.lab.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stdin", action="store_true", help="read a JSON list of specs from stdin; exit on EOF")
    parser.add_argument("--certs", help="directory for the lab CA and certificates (default: a temp dir)")
    parser.add_argument("--dns-name", default="lab.fourlayer.test", help="DNS name in the lab certificates")
    parser.add_argument("--tls", action="append", default=[], metavar="IP:PORT:PROFILE",
                        help=" | ".join(TLS_PROFILES))
    parser.add_argument("--http", action="append", default=[], metavar="IP:PORT:PROFILE",
                        help=" | ".join(HTTP_PROFILES))
    parser.add_argument("--banner", action="append", default=[], metavar="IP:PORT:TEXT")
    parser.add_argument("--ssh", action="append", default=[], metavar="IP:PORT:IDENTIFICATION",
                        help="an SSH identification (e.g. SSH-2.0-OpenSSH_7.4) and, for SSH-2, a key exchange init")
    for kind in ("sink", "tarpit", "garbage"):
        parser.add_argument(f"--{kind}", action="append", default=[], metavar="IP:PORT")
    args = parser.parse_args(argv)
    try:
        if args.stdin:
            specs = [ListenerSpec.from_json(d) for d in json.loads(sys.stdin.buffer.readline())]
        else:
            specs = _specs_from_args(args)
    except (ValueError, KeyError, TypeError) as exc:
        print(json.dumps({"ready": False, "error": f"bad listener spec: {exc}"}), flush=True)
        return 2
    if not specs:
        parser.error("no listeners given")
    return asyncio.run(_serve(specs, watch_stdin=args.stdin))


# --- parent side -----------------------------------------------------------------------------------------------

class ListenerProcess:
    """Listeners served by one child process. `start()` returns once every port accepts (or raises)."""

    def __init__(self, specs: list[ListenerSpec], startup_timeout: float = 20.0, module: str = "fourlayer.lab.serve"):
        """`module`: the child, run as `python -m MODULE --stdin` (another server that speaks the same lines,
        e.g. a pure-Python TLS server for suites OpenSSL refuses to serve)."""
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"listener names must be unique: {names}")
        self.specs = list(specs)
        self.startup_timeout = startup_timeout
        self.module = module
        self.endpoints: dict[str, tuple[str, int]] = {}
        self._proc: subprocess.Popen | None = None
        self._log = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def endpoint(self, name: str) -> tuple[str, int]:
        return self.endpoints[name]

    def port(self, name: str) -> int:
        return self.endpoints[name][1]

    def start(self) -> "ListenerProcess":
        env = dict(os.environ)
        src_root = str(Path(fourlayer.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src_root, env.get("PYTHONPATH")) if p)
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([sys.executable, "-m", self.module, "--stdin"], env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self._proc.stdin.write(json.dumps([s.to_json() for s in self.specs]).encode() + b"\n")
        self._proc.stdin.flush()
        deadline = time.monotonic() + self.startup_timeout
        try:
            ready = self._read_ready(deadline)
            if not ready.get("ready"):
                raise RuntimeError(f"lab listeners failed to start: {ready.get('error')}")
            self.endpoints = {item["name"]: (item["host"], item["port"]) for item in ready["listeners"]}
            self._wait_accepting(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_ready(self, deadline: float) -> dict:
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buf:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not sel.select(remaining):
                    raise RuntimeError(f"lab listeners not ready in {self.startup_timeout}s{self._stderr_tail()}")
                chunk = os.read(self._proc.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError(f"lab listener process exited (rc={self._proc.wait()}){self._stderr_tail()}")
                buf += chunk
        return json.loads(buf.split(b"\n", 1)[0])

    def _wait_accepting(self, deadline: float) -> None:
        for name, (host, port) in self.endpoints.items():
            while True:
                try:
                    socket.create_connection((host, port), timeout=1.0).close()
                    break
                except OSError as exc:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"listener {name} on {host}:{port} does not accept: {exc}") from exc
                    time.sleep(0.05)

    def _stderr_tail(self) -> str:
        self._log.seek(0)
        tail = self._log.read()[-2000:].decode("utf-8", "replace").strip()
        return f"\n{tail}" if tail else ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()  # the child exits on stdin EOF
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()
        self._log.close()

    def __enter__(self) -> "ListenerProcess":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(main())
