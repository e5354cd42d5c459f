"""`mockwcf` command line: serve, scenarios, validate, verify, catalog, certs, journal, health, kdc.

No verb shows a traceback for a user mistake: each error says what was tried and how to fix it.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from mockwcf import __version__, verify_cli

ENV_SCENARIO = "MOCKWCF_SCENARIO"
ENV_PORT = "MOCKWCF_PORT"
ENV_HOST = "MOCKWCF_HOST"
ENV_BASE_DIR = "MOCKWCF_BASE_DIR"
ENV_MAKE_CERTS = "MOCKWCF_MAKE_CERTS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mockwcf", description="A mock WCF service that says why it rejects."
    )
    parser.add_argument("--version", action="version", version=f"mockwcf {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve a scenario (the built-in default when none is given)")
    p.add_argument(
        "scenario",
        nargs="*",
        default=[os.environ[ENV_SCENARIO]] if os.environ.get(ENV_SCENARIO) else [],
        help="scenario files or packaged names (`mockwcf scenarios`); several are endpoints of one server, "
        "each at its own service.path; default: the built-in one",
    )
    p.add_argument("--host", default=os.environ.get(ENV_HOST, "127.0.0.1"))
    p.add_argument(
        "--port", type=int, default=int(os.environ.get(ENV_PORT, "8080")), help="0 picks a free port"
    )
    p.add_argument("--tls", action="store_true", help="serve HTTPS with the scenario's service certificate")
    p.add_argument(
        "--admin-token",
        default=None,
        help="token the admin API requires off loopback (default $MOCKWCF_ADMIN_TOKEN, else one is generated "
        "and printed)",
    )
    p.add_argument("--quiet", action="store_true", help="no line per exchange")
    p.add_argument(
        "--node-id",
        type=int,
        default=None,
        help="serve as node K of a farm of processes (behind a real balancer; share farm.cookieKeyFile)",
    )
    p.add_argument(
        "--base-dir",
        default=os.environ.get(ENV_BASE_DIR) or None,
        help="directory that relative paths of a scenario sent by PUT resolve against "
        "(default: the directory of the scenario served at start)",
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="reload each scenario file when it changes (a bad edit keeps the running scenario)",
    )
    p.add_argument(
        "--make-certs",
        action="store_true",
        default=os.environ.get(ENV_MAKE_CERTS, "") not in ("", "0", "false"),
        help="when every certificate the scenario names is absent, make a throw-away test PKI there "
        "(the Docker image does this)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("scenarios", help="list the packaged scenarios (serve one by name)")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("validate", help="check scenario files; errors name file:line: key")
    p.add_argument("files", nargs="+")
    p.add_argument(
        "--explain",
        action="store_true",
        help="print the binding model each scenario compiles to, in WCF's names",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("verify", help="run one captured request through a scenario offline")
    p.add_argument("scenario", help="a scenario file or a packaged name, e.g. default")
    p.add_argument("request", help="file with the request envelope")
    p.add_argument("--action", help="SOAPAction (default: the operation named by the Body element)")
    p.add_argument("--at", help="server time to use, e.g. 2026-01-01T00:00:00Z (default: now)")
    p.add_argument(
        "--signxml",
        action="store_true",
        help="also let signxml (an independent XML-DSig implementation) check the primary signature",
    )
    p.set_defaults(func=verify_cli.cmd_verify)

    p = sub.add_parser("catalog", help="every resource code, its string and wire fault")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_catalog)

    p = sub.add_parser("certs", help="make a throw-away test PKI")
    p.add_argument("directory", nargs="?", default="certs")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(func=cmd_certs)

    p = sub.add_parser("journal", help="show a running server's exchanges")
    p.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:8080/")
    p.add_argument("--id", type=int, help="one exchange in full (steps, headers, request, response)")
    p.add_argument("--json", action="store_true", help="JSON (with --follow: one object per line)")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new exchanges until Ctrl-C")
    p.add_argument("--verdict", help="accepted, rejected or served")
    p.add_argument("--operation", help="operation name, e.g. Echo")
    p.add_argument("--code", help="resource code, e.g. TimeStampHasCreationTimeInFuture")
    p.add_argument("--since", help="exchanges after this id, or at/after an instant (2026-01-01T00:00:00Z)")
    p.add_argument("--node", help="farm node number")
    p.add_argument("--endpoint", help="endpoint path, e.g. /EchoService.svc (servers with several)")
    p.add_argument(
        "--admin-token", default=None, help="the server's admin token (default $MOCKWCF_ADMIN_TOKEN)"
    )
    p.set_defaults(func=cmd_journal)

    p = sub.add_parser(
        "health", help="exit 0 when a server answers /_mockwcf/health (the image's HEALTHCHECK)"
    )
    p.add_argument("--url", default=None, help="base URL (default http://127.0.0.1:$MOCKWCF_PORT)")
    p.set_defaults(func=cmd_health)

    from mockwcf.transport import kdc_command

    kdc_command.add_parser(sub)

    argv, command = kdc_command.split_command(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.command = command
    return guarded(args.func, args)


def guarded(func: Any, args: argparse.Namespace) -> int:
    """Run one verb so that no user ever sees a traceback: a closed pipe ends quietly (`catalog | head`),
    Ctrl-C exits 130, and an unexpected error is one line (MOCKWCF_DEBUG=1 shows the traceback)."""
    try:
        return int(func(args) or 0)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout at exit; the reader has gone
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence for the CLI user
        if os.environ.get("MOCKWCF_DEBUG"):
            raise
        print(
            f"mockwcf {args.command}: unexpected {type(exc).__name__}: {exc or '(no message)'}. This is a "
            "mockwcf bug: rerun with MOCKWCF_DEBUG=1 for the traceback and report it",
            file=sys.stderr,
        )
        return 3


def _load(spec: str | None, make_certs: bool = False, every: bool = False) -> Any:
    """A scenario by file path or packaged name (None: the built-in one), or with `every` the list of
    its endpoints (a scenario with `endpoints:`); errors go to stderr, None."""
    from mockwcf import locate, pki
    from mockwcf.config import ScenarioError, load, load_all, load_builtin

    try:
        if not spec:
            return [load_builtin()] if every else load_builtin()
        path = locate.resolve(spec)
        if make_certs:
            pki.ensure_for(path, lambda m: print(m, file=sys.stderr, flush=True))
        return load_all(path) if every else load(path)
    except locate.NotFound as exc:
        print(f"mockwcf: {exc}", file=sys.stderr)
    except ScenarioError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    from mockwcf import console, server
    from mockwcf.host import Host, conflicts

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("spyne").setLevel(logging.WARNING)
    loaded = [_load(spec, make_certs=args.make_certs, every=True) for spec in args.scenario or [None]]
    if any(s is None for s in loaded):
        return 2
    scenarios = [s for endpoints in loaded for s in endpoints or []]
    problems = conflicts(scenarios, args.tls)
    for line in problems:
        print(f"mockwcf serve: {line}", file=sys.stderr)
    if problems:
        return 2
    for scenario in scenarios:
        if args.tls and (scenario.service_certificate is None or scenario.service_key is None):
            print(
                f"mockwcf serve --tls: scenario {scenario.name!r} has no service certificate; add "
                "credentials.serviceCertificate {certificate: ..., privateKey: ...} to it (`mockwcf certs "
                "DIR` makes a test pair), or serve without --tls",
                file=sys.stderr,
            )
            return 2
        if args.watch and not Path(scenario.source).is_file():
            print(
                f"mockwcf serve --watch: {scenario.source} has no file to watch; give a scenario file",
                file=sys.stderr,
            )
            return 2
    if args.node_id is not None and args.node_id < 1:
        print("mockwcf: --node-id must be 1 or more", file=sys.stderr)
        return 2
    host = Host.of(scenarios, node_id=args.node_id, tls=args.tls)
    if args.base_dir:
        host.base_dir = Path(args.base_dir).resolve()
    watched = list(dict.fromkeys(Path(s.source) for s in scenarios))
    if args.watch:
        from mockwcf.watch import Watcher

        Watcher(host, watched, lambda m: print(m, file=sys.stderr, flush=True)).start()
    gc.collect()
    gc.freeze()  # start-up objects (Spyne app, schema, catalog) never need scanning again: steadier p99
    if not args.quiet:
        host.listeners.append(console.printer(sys.stdout, lambda: len(host.endpoints) > 1))
    from mockwcf.admin_guard import token_for

    token, generated = token_for(args.host, args.admin_token)
    try:
        port = server.listen(host, args.host, args.port, tls=args.tls, admin_token=token)
    except Exception as exc:  # noqa: BLE001 - a bind error is a user error: say it plainly
        print(
            f"mockwcf: cannot listen on {args.host}:{args.port}: {exc or type(exc).__name__}; "
            "pick another --port (0 takes a free one) or stop what holds it",
            file=sys.stderr,
        )
        return 2
    scheme = "https" if (args.tls or host.scenario.binding.https) else "http"
    actual = port.getHost().port

    def announce() -> None:
        node = f" as node {args.node_id}" if args.node_id else ""
        print(f"mockwcf listening on {scheme}://{args.host}:{actual}/{node}", flush=True)
        for rt in host.endpoints:
            s = rt.scenario
            print(
                f"  scenario {s.name}: {scheme}://{args.host}:{actual}{s.service.path}?wsdl"
                + (f" ({s.binding_type})" if len(host.endpoints) > 1 else ""),
                flush=True,
            )
        for cert in dict.fromkeys(s.service_certificate for s in scenarios if s.service_certificate):
            print(f"  service certificate {cert}", flush=True)
        for path in watched if args.watch else []:
            print(f"  watching {path} for changes", flush=True)
        if generated:
            print(f"  admin API token (send 'Authorization: Bearer <token>'): {token}", flush=True)

    server.reactor.callWhenRunning(announce)
    server.reactor.run()
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from mockwcf import locate
    from mockwcf.binding.explain import explain
    from mockwcf.config import ScenarioError, load_all

    failed = False
    for f in args.files:
        try:
            endpoints = load_all(locate.resolve(f))
        except locate.NotFound as exc:
            print(f"mockwcf validate: {exc}", file=sys.stderr)
            failed = True
            continue
        except ScenarioError as exc:
            for line in exc.lines():
                print(line, file=sys.stderr)
            failed = True
            continue
        paths = f" ({len(endpoints)} endpoints)" if len(endpoints) > 1 else ""
        print(f"{f}: ok{paths}")
        for scenario in endpoints if args.explain else []:
            if len(endpoints) > 1:
                print(f"endpoint {scenario.service.path}:")
            print(explain(scenario.binding))
            if scenario.transport_auth.active:
                print(scenario.transport_auth.describe())
    return 1 if failed else 0


def cmd_catalog(args: argparse.Namespace) -> int:
    from mockwcf import catalog

    entries = catalog.entries()
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], indent=1))
        return 0
    for e in entries:
        wire = e.as_dict()["wire"]
        sub = wire["subcode"] or wire["code"]
        print(f"{e.code}  [{e.origin}, {sub}]\n    {e.string}\n    hint: {e.hint}")
    print(f"\n{len(entries)} codes ({sum(e.origin == 'seed' for e in entries)} from the seed table)")
    return 0


def cmd_certs(args: argparse.Namespace) -> int:
    from mockwcf import certs

    try:
        files = certs.make(args.directory, force=args.force)
    except OSError as exc:
        print(
            f"mockwcf certs: cannot write the test PKI into {args.directory}: {exc.strerror or exc}; "
            "give a directory you can write to",
            file=sys.stderr,
        )
        return 2
    print(f"test PKI in {args.directory}/ ({len(files)} files; client variants share client.key)")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from mockwcf import locate

    for line in locate.lines():
        print(line)
    return 0


def _base_url(url: str, verb: str) -> str | None:
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        print(
            f"mockwcf {verb}: {url!r} is not an http:// or https:// URL; give the server's base URL, "
            "e.g. http://127.0.0.1:8080/",
            file=sys.stderr,
        )
        return None
    return base


def cmd_journal(args: argparse.Namespace) -> int:
    from mockwcf import journal_cli

    if _base_url(args.url, "journal") is None:
        return 2
    return journal_cli.run(args)


def cmd_health(args: argparse.Namespace) -> int:
    from mockwcf.journal_cli import AdminError, fetch

    base = _base_url(args.url or f"http://127.0.0.1:{os.environ.get(ENV_PORT, '8080')}", "health")
    if base is None:
        return 2
    try:
        data = fetch(base + "/_mockwcf/health")
    except AdminError as exc:
        print(f"mockwcf health: {exc}", file=sys.stderr)
        return 1
    print(f"{data.get('status')}: scenario {data.get('scenario')} at {base}/")
    endpoints = data.get("endpoints") or []
    for e in endpoints if len(endpoints) > 1 else []:
        print(f"  {e.get('path')}: scenario {e.get('scenario')} ({e.get('binding')})")
    return 0 if data.get("status") == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
