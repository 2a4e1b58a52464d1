"""`dynaqueue keys create|list|enable|disable|delete`: the administrator's access-key commands.

They act directly on the key store the server reads (the data directory's key file, or the
DynamoDB table with KMS), so only whoever can write there can run them. Each change is written
to the audit log; the secret is printed once, by `create`, and never logged.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from dynaqueue.config import (
    ENV_AUDIT_LOG,
    ENV_DATA_DIR,
    ENV_DYNAMODB_ENDPOINT,
    ENV_KEYS_KMS_KEY_ID,
    ENV_STORE,
    ENV_TABLE_NAME,
    STORES,
    ConfigurationError,
    Settings,
)
from dynaqueue.domain.access_keys import AccessKeyStore, Principal, new_access_key
from dynaqueue.domain.errors import InvalidParameterValue
from dynaqueue.handlers.audit import audit_event
from dynaqueue.storage.audit_log import FileAuditLog
from dynaqueue.wiring import AUDIT_LOG_FILE, open_access_keys

EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser], default_table: str) -> None:
    keys = commands.add_parser(
        "keys",
        help="manage the access keys requests are signed with",
        description="Create, list, enable, disable and delete access keys in the store the server reads.",
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a key; prints its secret, once")
    create.add_argument("--account-id", help="the key's account (default: the deployment's, the queue owner)")
    create.add_argument("--user", help="a user name in that account, for policies naming the user")
    actions.add_parser("list", help="list keys (without secrets)")
    for name, text in (("enable", "let a key sign again"), ("disable", "stop a key"), ("delete", "forget a key")):
        action = actions.add_parser(name, help=text)
        action.add_argument("access_key_id", metavar="ACCESS_KEY_ID")
    for action in (keys, *actions.choices.values()):
        _store_options(action, default_table)
    keys.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env({**os.environ, **overrides(args, os.environ)})
    except ConfigurationError as error:
        print(f"dynaqueue: {error}", file=sys.stderr)
        return EXIT_USAGE
    audit = FileAuditLog(Path(settings.audit_log or Path(settings.data_dir) / AUDIT_LOG_FILE))
    store: AccessKeyStore | None = None
    try:
        store = open_access_keys(settings)
        return _COMMANDS[args.keys_command](args, settings, store, audit, sys.stdout)
    # ConfigurationError is a ValueError: a damaged key file or a missing KMS key id.
    except (InvalidParameterValue, ValueError, OSError) as error:
        print(f"dynaqueue: {getattr(error, 'message', error)}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        close = getattr(store, "close", None)
        if close:
            close()


def overrides(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str]:
    values = {
        ENV_STORE: getattr(args, "store", None),
        ENV_DATA_DIR: getattr(args, "data_dir", None),
        ENV_DYNAMODB_ENDPOINT: getattr(args, "dynamodb_endpoint", None),
        ENV_KEYS_KMS_KEY_ID: getattr(args, "kms_key_id", None),
        ENV_AUDIT_LOG: getattr(args, "audit_log", None),
        ENV_TABLE_NAME: getattr(args, "table_name", None) or environ.get(ENV_TABLE_NAME) or args.default_table,
    }
    return {name: value for name, value in values.items() if value is not None}


def _store_options(parser: argparse.ArgumentParser, default_table: str) -> None:
    # SUPPRESS: an option given before the action is not reset by the action's own default.
    parser.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help=f"the server's data directory (default ${ENV_DATA_DIR} or ./.dynaqueue)",
    )
    parser.add_argument(
        "--store",
        choices=STORES,
        default=argparse.SUPPRESS,
        help="dynamodb: keys in the table, secrets under KMS; otherwise in the data directory",
    )
    parser.add_argument("--table-name", default=argparse.SUPPRESS, help=f"DynamoDB table (default {default_table})")
    parser.add_argument("--dynamodb-endpoint", default=argparse.SUPPRESS, help="DynamoDB endpoint URL")
    parser.add_argument(
        "--kms-key-id",
        default=argparse.SUPPRESS,
        help=f"KMS key for secrets in DynamoDB (default ${ENV_KEYS_KMS_KEY_ID})",
    )
    parser.add_argument(
        "--audit-log", default=argparse.SUPPRESS, help="JSON-lines audit file (default <data-dir>/audit.jsonl)"
    )
    parser.set_defaults(default_table=default_table)


def _create(
    args: argparse.Namespace, settings: Settings, store: AccessKeyStore, audit: FileAuditLog, out: TextIO
) -> int:
    principal = Principal(args.account_id or settings.account_id, args.user or None)
    key = new_access_key(principal, time.time_ns() // 1_000_000)
    store.add(key)
    _audit(audit, "KeyCreated", access_key_id=key.access_key_id, key_principal=principal.arn)
    owner = "owner" if principal.account_id == settings.account_id else "other account: queue policies apply"
    print(
        json.dumps(
            {
                "AccessKeyId": key.access_key_id,
                "SecretAccessKey": key.secret_access_key,
                "Principal": principal.arn,
                "Role": owner,
            },
            indent=2,
        ),
        file=out,
    )
    return 0


def _list(args: argparse.Namespace, settings: Settings, store: AccessKeyStore, audit: FileAuditLog, out: TextIO) -> int:
    for key in store.list():
        created = datetime.fromtimestamp(key.created_at_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        status = "enabled" if key.enabled else "disabled"
        print(f"{key.access_key_id}\t{status}\t{created}\t{key.principal.arn}", file=out)
    return 0


def _enable(
    args: argparse.Namespace, settings: Settings, store: AccessKeyStore, audit: FileAuditLog, out: TextIO
) -> int:
    return _report(args.access_key_id, store.set_enabled(args.access_key_id, True), "KeyEnabled", audit, out)


def _disable(
    args: argparse.Namespace, settings: Settings, store: AccessKeyStore, audit: FileAuditLog, out: TextIO
) -> int:
    return _report(args.access_key_id, store.set_enabled(args.access_key_id, False), "KeyDisabled", audit, out)


def _delete(
    args: argparse.Namespace, settings: Settings, store: AccessKeyStore, audit: FileAuditLog, out: TextIO
) -> int:
    return _report(args.access_key_id, store.delete(args.access_key_id), "KeyDeleted", audit, out)


def _report(access_key_id: str, done: bool, event: str, audit: FileAuditLog, out: TextIO) -> int:
    if not done:
        print(f"dynaqueue: no access key {access_key_id}", file=sys.stderr)
        return EXIT_FAILURE
    _audit(audit, event, access_key_id=access_key_id)
    print(f"{access_key_id}: {event.removeprefix('Key').lower()}", file=out)
    return 0


def _audit(audit: FileAuditLog, event: str, *, access_key_id: str, key_principal: str | None = None) -> None:
    audit.write(
        audit_event(
            event=event,
            now_ms=time.time_ns() // 1_000_000,
            outcome="succeeded",
            principal=f"local-administrator:{getpass.getuser()}",
            access_key_id=access_key_id,
            key_principal=key_principal,
        )
    )


_COMMANDS = {
    "create": _create,
    "list": _list,
    "enable": _enable,
    "disable": _disable,
    "delete": _delete,
}
