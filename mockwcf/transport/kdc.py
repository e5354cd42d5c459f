"""A throw-away MIT Kerberos realm on loopback: `mockwcf kdc`, and the pytest fixture behind the Windows tests.

Seed 002's first two causes (Windows authentication failures, SPN mistakes) need a real KDC to be shown for
real: a ticket for the wrong SPN is refused by the KDC ("Server not found in Kerberos database"), a ticket
sealed with another account's key is refused by the service (KRB_AP_ERR_MODIFIED), a skewed authenticator is
refused with KRB_AP_ERR_SKEW. So we start Debian's krb5kdc (MIT) with its database, krb5.conf and kdc.conf in
one temporary directory, pointed at by KRB5_CONFIG / KRB5_KDC_PROFILE in the environment of the processes we
start; the machine's own /etc/krb5.conf and KDC are never read or touched. The service principal's key is
written to a keytab the way `setspn` + `ktpass` would give it to an IIS application pool account.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local", "ktutil")
ENCTYPE = "aes256-cts-hmac-sha1-96"


class KdcError(Exception):
    """Starting the realm failed; the message says which tool and why, and how to fix it."""


@dataclass(frozen=True)
class Principal:
    name: str  # without the realm
    password: str


@dataclass
class Kdc:
    """A running realm. `env` is what a client or the server needs (KRB5_CONFIG and a private ccache)."""

    directory: Path
    realm: str
    port: int
    service_principal: str
    keytab: Path
    krb5_conf: Path
    process: subprocess.Popen[bytes] | None = None
    users: tuple[Principal, ...] = field(default_factory=tuple)

    @property
    def env(self) -> dict[str, str]:
        return {
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5_KDC_PROFILE": str(self.directory / "kdc.conf"),
            "KRB5CCNAME": f"FILE:{self.directory / 'ccache'}",
            "KRB5_KTNAME": f"FILE:{self.keytab}",
        }

    def kinit(self, user: str, password: str, ccache: Path | None = None) -> Path:
        """Get a TGT for `user` into `ccache` (a new file in the realm's directory by default)."""
        ccache = ccache or self.directory / f"ccache-{user}"
        env = {**os.environ, **self.env, "KRB5CCNAME": f"FILE:{ccache}"}
        _run(["kinit", f"{user}@{self.realm}"], env, stdin=password + "\n")
        return ccache

    def kvno(self, spn: str, ccache: Path) -> None:
        """Fetch a service ticket for `spn` into `ccache` (as a client does before its first request)."""
        env = {**os.environ, **self.env, "KRB5CCNAME": f"FILE:{ccache}"}
        _run(["kvno", spn], env)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def missing_tools() -> list[str]:
    return [t for t in (*TOOLS, "kinit") if shutil.which(t) is None and not Path("/usr/sbin", t).exists()]


def start(
    directory: Path,
    *,
    realm: str = "MOCKWCF.TEST",
    host: str = "localhost",
    users: tuple[Principal, ...] = (),
    wrong_account_hosts: tuple[str, ...] = (),
) -> Kdc:
    """Create the realm in `directory` (which must be empty or absent) and start its KDC on a free port.

    The service principal is HTTP/<host>; its key goes to `directory/http.keytab`. For each of
    `wrong_account_hosts` the KDC knows HTTP/<that host> but the keytab holds a key made from another
    password, as when the SPN is registered to a different account than the one the service runs as (or
    registered twice): tickets for it then fail to decrypt at the service (KRB_AP_ERR_MODIFIED).
    """
    missing = missing_tools()
    if missing:
        raise KdcError(
            f"the MIT Kerberos tools {', '.join(missing)} are not installed; run `make sysdeps` (Debian packages "
            "krb5-kdc, krb5-admin-server and krb5-user)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    spn = f"HTTP/{host}"
    krb5_conf = directory / "krb5.conf"
    krb5_conf.write_text(_KRB5_CONF.format(realm=realm, port=port, host=host, dir=directory))
    (directory / "kdc.conf").write_text(_KDC_CONF.format(realm=realm, port=port, dir=directory))
    (directory / "kadm5.acl").write_text("")
    kdc = Kdc(directory, realm, port, f"{spn}@{realm}", directory / "http.keytab", krb5_conf, users=users)
    env = {**os.environ, **kdc.env}
    _run(["kdb5_util", "create", "-s", "-r", realm, "-P", "mockwcf-master-key"], env)
    keys = {spn: "mockwcf-service-" + os.urandom(8).hex()}
    keys.update({f"HTTP/{h}": "mockwcf-service-" + os.urandom(8).hex() for h in wrong_account_hosts})
    commands = [f"addprinc -pw {pw} {name}" for name, pw in keys.items()]
    commands += [f"addprinc -pw {u.password} {u.name}" for u in users]
    _run(["kadmin.local", "-r", realm], env, stdin="\n".join(commands) + "\nquit\n")
    kdc.keytab.unlink(missing_ok=True)
    entries = "".join(
        f"addent -password -p {name}@{realm} -k 1 -e {ENCTYPE}\n"
        + (pw if name == spn else "another-account-" + os.urandom(8).hex())
        + "\n"
        for name, pw in keys.items()
    )
    _run(["ktutil"], env, stdin=f"{entries}wkt {kdc.keytab}\nquit\n")
    if not kdc.keytab.is_file():
        raise KdcError(f"ktutil wrote no keytab at {kdc.keytab}")
    log = open(directory / "kdc.stderr", "wb")  # noqa: SIM115 - the KDC keeps it open for its life
    kdc.process = subprocess.Popen(
        [_tool("krb5kdc"), "-n", "-r", realm, "-P", str(directory / "kdc.pid")],
        env=env,
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    _wait_for_port(kdc, log.name)
    return kdc


def skew_ccache(ccache: Path, seconds: int) -> None:
    """Make every client using `ccache` believe its clock is `seconds` off, as a machine whose clock drifted.

    MIT keeps the KDC time offset in the credential cache header (file format 4, tag 1 DeltaTime) and adds
    it to the time of every authenticator it makes (kdc_timesync). Fetch the service ticket first (`kvno`):
    the KDC would refuse a skewed ticket request itself.
    """
    data = ccache.read_bytes()
    if data[:2] != b"\x05\x04":
        raise KdcError(f"{ccache} is not an MIT credential cache of format 4")
    header_len = int.from_bytes(data[2:4], "big")
    rest = data[4 + header_len :]
    delta = (
        (1).to_bytes(2, "big") + (8).to_bytes(2, "big") + seconds.to_bytes(4, "big", signed=True) + bytes(4)
    )
    ccache.write_bytes(b"\x05\x04" + len(delta).to_bytes(2, "big") + delta + rest)


def _wait_for_port(kdc: Kdc, log: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if kdc.process is not None and kdc.process.poll() is not None:
            raise KdcError(f"krb5kdc exited with {kdc.process.returncode}; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", kdc.port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    kdc.stop()
    raise KdcError(f"krb5kdc did not listen on 127.0.0.1:{kdc.port} within 10 s; see {log}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tool(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _run(cmd: list[str], env: dict[str, str], stdin: str | None = None) -> None:
    proc = subprocess.run(
        [_tool(cmd[0]), *cmd[1:]], env=env, input=(stdin or "").encode(), capture_output=True, timeout=30
    )
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    # kadmin.local and ktutil exit 0 after a failed command; MIT's messages end "... while <doing what>"
    if proc.returncode != 0 or (cmd[0] in ("kadmin.local", "ktutil") and " while " in out):
        raise KdcError(f"{cmd[0]} failed ({proc.returncode}): {out.strip()[-600:]}")


_KRB5_CONF = """[libdefaults]
    default_realm = {realm}
    dns_lookup_realm = false
    dns_lookup_kdc = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    ignore_acceptor_hostname = true
    default_ccache_name = FILE:{dir}/ccache
    default_keytab_name = FILE:{dir}/http.keytab

[realms]
    {realm} = {{
        kdc = 127.0.0.1:{port}
    }}

[domain_realm]
    {host} = {realm}
    .{host} = {realm}
"""

_KDC_CONF = """[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}

[realms]
    {realm} = {{
        database_name = {dir}/principal
        key_stash_file = {dir}/stash
        acl_file = {dir}/kadm5.acl
        max_life = 10h 0m 0s
        supported_enctypes = aes256-cts-hmac-sha1-96:normal
    }}

[logging]
    kdc = FILE:{dir}/kdc.log
"""
