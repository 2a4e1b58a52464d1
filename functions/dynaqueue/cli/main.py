"""The `dynaqueue` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from dynaqueue.config import (
    ENV_DATA_DIR,
    ENV_DYNAMODB_ENDPOINT,
    ENV_STORE,
    ENV_TABLE_NAME,
    STORES,
    ConfigurationError,
    Settings,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9324
DEFAULT_TABLE_NAME = "dynaqueue"

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
    serve.add_argument("--verbose", action="store_true", help="log one line per request")
    serve.set_defaults(run=_serve)
    return parser


def _serve(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env({**os.environ, **_settings_overrides(args, os.environ)})
    except ConfigurationError as error:
        print(f"dynaqueue: {error}", file=sys.stderr)
        return EXIT_USAGE
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
    overrides = {
        ENV_STORE: args.store,
        ENV_DATA_DIR: args.data_dir,
        ENV_DYNAMODB_ENDPOINT: args.dynamodb_endpoint,
        ENV_TABLE_NAME: args.table_name or environ.get(ENV_TABLE_NAME) or DEFAULT_TABLE_NAME,
    }
    return {name: value for name, value in overrides.items() if value is not None}


def _powertools_environment(*, verbose: bool) -> dict[str, str]:
    """No metrics or traces leave this machine; logs are quiet unless asked for."""
    return {
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "INFO" if verbose else "WARNING",
    }
