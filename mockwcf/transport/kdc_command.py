"""`mockwcf kdc`: a throw-away Kerberos realm for trying the Windows scenarios by hand, in one command.

    mockwcf kdc kdc/ -- mockwcf serve scenarios/windows-negotiate.yaml

starts the KDC, writes kdc/env.sh (KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME for this realm only), runs the
command in that environment (the server then finds its keytab through KRB5_KTNAME) and stops the KDC when it
ends. Without a command it runs until Ctrl-C; clients `source kdc/env.sh` and `kinit alice`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_USERS = ("alice:Wonderland1!", "bob:Builder2!")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "kdc", help="run a throw-away MIT Kerberos KDC on loopback (realm, HTTP/<host> keytab, users)"
    )
    p.add_argument("directory", nargs="?", help="where the realm lives (default: a new temporary directory)")
    p.add_argument("--realm", default="MOCKWCF.TEST")
    p.add_argument("--host", default="localhost", help="the service principal is HTTP/<host>")
    p.add_argument(
        "--user",
        action="append",
        metavar="NAME:PASSWORD",
        help=f"a user (repeatable; default {', '.join(DEFAULT_USERS)})",
    )
    p.add_argument(
        "--scenario",
        metavar="FILE",
        help="take the users from this scenario's credentials.windows.users (DOMAIN\\name: password)",
    )
    p.add_argument(
        "--wrong-account-host",
        action="append",
        default=[],
        metavar="HOST",
        help="also register HTTP/HOST, but give the service another account's key for it (KRB_AP_ERR_MODIFIED)",
    )
    p.set_defaults(func=run)
    p.epilog = "-- COMMAND [ARG...] runs COMMAND in the realm's environment and stops the KDC when it ends."


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """`mockwcf kdc [options] -- COMMAND...`: argparse cannot take a trailing command after optional
    positionals, so the words after `--` are split off before parsing (for `kdc` only)."""
    if argv[:1] == ["kdc"] and "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def run(args: argparse.Namespace) -> int:
    from mockwcf.transport import kdc

    users = []
    specs = list(args.user or [])
    if args.scenario:
        found = _scenario_users(args.scenario)
        if found is None:
            return 2
        specs += found
    for spec in specs or DEFAULT_USERS:
        name, sep, password = spec.partition(":")
        if not sep or not name or not password:
            print(f"mockwcf kdc: --user {spec!r}: write NAME:PASSWORD", file=sys.stderr)
            return 2
        users.append(kdc.Principal(name, password))
    directory = Path(args.directory) if args.directory else Path(tempfile.mkdtemp(prefix="mockwcf-kdc-"))
    if (directory / "principal").exists():
        print(f"mockwcf kdc: {directory} already holds a realm; give an empty directory", file=sys.stderr)
        return 2
    try:
        realm = kdc.start(
            directory.resolve(),
            realm=args.realm,
            host=args.host,
            users=tuple(users),
            wrong_account_hosts=tuple(args.wrong_account_host),
        )
    except kdc.KdcError as exc:
        print(f"mockwcf kdc: {exc}", file=sys.stderr)
        return 2
    env_file = directory / "env.sh"
    env_file.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in realm.env.items()))
    print(f"realm {realm.realm}: KDC on 127.0.0.1:{realm.port}, service {realm.service_principal}")
    print(f"  keytab {realm.keytab}; users: {', '.join(u.name for u in users)}")
    print(f"  clients: source {env_file} && kinit {users[0].name}")
    try:
        if args.command:
            try:
                return subprocess.call(args.command, env={**os.environ, **realm.env})
            except OSError as exc:
                print(f"mockwcf kdc: cannot run {args.command[0]!r}: {exc.strerror}", file=sys.stderr)
                return 127
        print("  (Ctrl-C stops the KDC)", flush=True)
        assert realm.process is not None
        realm.process.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        realm.stop()


def _scenario_users(path: str) -> list[str] | None:
    """NAME:PASSWORD for each credentials.windows.users entry (the domain part is the realm's business)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        print(f"mockwcf kdc: cannot read {path}: {exc}", file=sys.stderr)
        return None
    users = ((data.get("credentials") or {}).get("windows") or {}).get("users") or {}
    if not isinstance(users, dict) or not users:
        print(f"mockwcf kdc: {path} has no credentials.windows.users", file=sys.stderr)
        return None
    return [f"{str(name).rpartition(chr(92))[2]}:{password}" for name, password in users.items()]
