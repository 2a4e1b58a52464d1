"""The `dynaqueue` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from dynaqueue.cli import keys
from dynaqueue.config import (
    ENV_AUDIT_LOG,
    ENV_AUTH,
    ENV_DATA_DIR,
    ENV_DYNAMODB_ENDPOINT,
    ENV_HOUSEKEEPING_INTERVAL,
    ENV_STORE,
    ENV_TABLE_NAME,
    ENV_TLS_CERT,
    ENV_TLS_KEY,
    STORES,
    ConfigurationError,
    Settings,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9324
DEFAULT_TABLE_NAME = "dynaqueue"
DEFAULT_DATA_DIR = ".dynaqueue"
AUDIT_LOG_FILE = "audit.jsonl"

EXIT_FAILURE = 1
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dynaqueue", description="An SQS-compatible message queue.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the queue service on this machine",
        description="Serve the SQS API locally through the same Lambda handler the cloud deployment runs.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to bind (default {DEFAULT_PORT})")
    serve.add_argument("--data-dir", help=f"where queues are kept (default ${ENV_DATA_DIR} or ./.dynaqueue)")
    serve.add_argument(
        "--store",
        choices=STORES,
        help="embedded: one SQLite file (default); moto: DynamoDB emulated in memory; "
        "dynamodb: a DynamoDB endpoint, table created if missing",
    )
    serve.add_argument("--dynamodb-endpoint", help="DynamoDB endpoint URL for --store dynamodb")
    serve.add_argument("--table-name", help=f"DynamoDB table (default {DEFAULT_TABLE_NAME})")
    serve.add_argument(
        "--housekeeping-interval",
        metavar="SECONDS",
        help="seconds between housekeeping runs: message-move tasks, dead-letter moves, expiry "
        f"(default ${ENV_HOUSEKEEPING_INTERVAL} or 1; 0 turns housekeeping off)",
    )
    serve.add_argument(
        "--auth",
        action="store_true",
        help="verify SigV4 signatures against the keys of `dynaqueue keys` and enforce queue policies, "
        "as the deployed service does (default: any credentials accepted)",
    )
    serve.add_argument("--tls-cert", metavar="PEM", help="certificate chain to serve HTTPS with (needs --tls-key)")
    serve.add_argument("--tls-key", metavar="PEM", help="private key of --tls-cert")
    serve.add_argument("--audit-log", metavar="FILE", help="JSON-lines audit log (default <data-dir>/audit.jsonl)")
    serve.add_argument("--verbose", action="store_true", help="log one line per request")
    serve.set_defaults(run=_serve)
    keys.add_parser(commands, DEFAULT_TABLE_NAME)
    return parser


def _serve(args: argparse.Namespace) -> int:
    overrides = _settings_overrides(args, os.environ)
    try:
        settings = Settings.from_env({**os.environ, **overrides})
    except ConfigurationError as error:
        print(f"dynaqueue: {error}", file=sys.stderr)
        return EXIT_USAGE
    if bool(settings.tls_cert) != bool(settings.tls_key):
        print("dynaqueue: --tls-cert and --tls-key go together", file=sys.stderr)
        return EXIT_USAGE
    # The handler builds its authenticator and audit log from the environment, as in Lambda.
    os.environ.update(overrides)
    os.environ.update(_powertools_environment(verbose=args.verbose))
    # Request log lines must show up as they happen, also when the output is a pipe.
    sys.stdout.reconfigure(line_buffering=True)
    # Imported after the environment is set: Powertools reads it when the handler module loads.
    from dynaqueue.local.serve import serve

    try:
        return serve(settings, host=args.host, port=args.port, out=sys.stdout)
    except (OSError, ConfigurationError) as error:
        print(f"dynaqueue: {error}", file=sys.stderr)
        return EXIT_FAILURE


def _settings_overrides(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str]:
    """Command-line options as the environment variables Settings reads; options win over the environment."""
    data_dir = args.data_dir or environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR
    overrides = {
        ENV_STORE: args.store,
        ENV_DATA_DIR: args.data_dir,
        ENV_DYNAMODB_ENDPOINT: args.dynamodb_endpoint,
        ENV_HOUSEKEEPING_INTERVAL: args.housekeeping_interval,
        ENV_TABLE_NAME: args.table_name or environ.get(ENV_TABLE_NAME) or DEFAULT_TABLE_NAME,
        # Locally authentication is off unless asked for, whatever the store.
        ENV_AUTH: "on" if args.auth else "off",
        ENV_TLS_CERT: args.tls_cert,
        ENV_TLS_KEY: args.tls_key,
        ENV_AUDIT_LOG: args.audit_log or environ.get(ENV_AUDIT_LOG) or str(Path(data_dir) / AUDIT_LOG_FILE),
    }
    return {name: value for name, value in overrides.items() if value is not None}


def _powertools_environment(*, verbose: bool) -> dict[str, str]:
    """No metrics or traces leave this machine; logs are quiet unless asked for."""
    return {
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "INFO" if verbose else "WARNING",
    }
