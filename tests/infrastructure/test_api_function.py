"""The functions (API, housekeeping): runtime defaults, an environment the runtime understands, least privilege."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import botocore.session
from aws_cdk.assertions import Match, Template

import dynaqueue.config as config
import dynaqueue.storage
from dynaqueue.config import ENV_KMS_KEY_ID
from dynaqueue.storage import access_keys_dynamo
from dynaqueue.storage.data_keys_kms import DATA_KEY_CONTEXT
from stacks.constructs.queue_table import ACCESS_KEY_CONTEXT, DATA_ACTIONS, DATA_KEY_PURPOSE, DATA_KEY_PURPOSE_VALUE

FUNCTION = "AWS::Lambda::Function"
POLICY = "AWS::IAM::Policy"
# The one wildcard resource cdk-nag was told about (AwsSolutions-IAM5): X-Ray has no resource-level permissions.
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def functions(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every function's properties by handler."""
    return {
        resource["Properties"]["Handler"]: resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == FUNCTION
    }


def the_function(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return functions(resources)["dynaqueue.handlers.api.lambda_handler"]


def statements(resources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        statement
        for resource in resources.values()
        if resource["Type"] == POLICY
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_function_runs_python_on_arm64_with_tracing_and_json_logs(template: Template) -> None:
    template.has_resource_properties(
        FUNCTION,
        {
            "Runtime": "python3.13",
            "Architectures": ["arm64"],
            "Handler": "dynaqueue.handlers.api.lambda_handler",
            "MemorySize": 256,
            "TracingConfig": {"Mode": "Active"},
            "LoggingConfig": {
                "LogFormat": "JSON",
                "ApplicationLogLevel": "INFO",
                "LogGroup": {"Ref": Match.string_like_regexp("^ApiFunctionLogs")},
            },
        },
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 7})


def test_timeout_covers_a_long_poll_and_ends_before_the_http_api_gives_up(
    resources: dict[str, dict[str, Any]],
) -> None:
    # 20 s long polls plus margin; the HTTP API integration times out after 30 s.
    assert 25 < the_function(resources)["Timeout"] < 30


def test_environment_holds_only_names_the_runtime_reads(resources: dict[str, dict[str, Any]]) -> None:
    config_names = {value for name, value in vars(config).items() if name.startswith("ENV_")}
    for function in functions(resources).values():
        environment = function["Environment"]["Variables"]

        unknown = {name for name in environment if name not in config_names and not name.startswith("POWERTOOLS_")}

        assert unknown == set()
        assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"} <= set(environment)


def test_every_function_runs_the_service_on_the_same_table_and_key(resources: dict[str, dict[str, Any]]) -> None:
    environments = [function["Environment"]["Variables"] for function in functions(resources).values()]

    assert len(environments) == 2
    assert environments[0] == environments[1]


def test_environment_points_the_runtime_at_this_stack(resources: dict[str, dict[str, Any]]) -> None:
    environment = the_function(resources)["Environment"]["Variables"]

    assert environment[config.ENV_STORE] == "dynamodb"
    assert environment[config.ENV_TABLE_NAME]["Ref"].startswith("QueueTable")
    assert environment[config.ENV_ACCOUNT_ID] == {"Ref": "AWS::AccountId"}
    assert environment[config.ENV_REGION] == {"Ref": "AWS::Region"}
    assert environment[config.ENV_RECEIPT_SECRET_ARN]["Ref"].startswith("ReceiptSecret")
    assert environment[config.ENV_QUEUE_CACHE_SECONDS] == "30"
    assert environment[config.ENV_SHARDS] == "4"


def test_receipt_secret_is_32_random_bytes_encrypted_with_the_data_key(template: Template) -> None:
    template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {
            "GenerateSecretString": Match.object_like({"PasswordLength": 64, "ExcludeUppercase": True}),
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^DataKey"), "Arn"]},
        },
    )


def test_role_has_no_managed_policies(template: Template) -> None:
    template.has_resource_properties("AWS::IAM::Role", {"ManagedPolicyArns": Match.absent()})


def test_no_wildcard_actions(resources: dict[str, dict[str, Any]]) -> None:
    actions = {action for statement in statements(resources) for action in as_list(statement["Action"])}

    assert not {action for action in actions if action.endswith("*")}


def test_only_xray_has_a_wildcard_resource(resources: dict[str, dict[str, Any]]) -> None:
    wildcard = [statement for statement in statements(resources) if "*" in as_list(statement["Resource"])]

    # One statement per function role.
    assert [set(as_list(statement["Action"])) for statement in wildcard] == [XRAY_ACTIONS] * len(functions(resources))


def test_table_access_is_item_reads_and_writes_on_the_table_and_its_ready_index(
    resources: dict[str, dict[str, Any]],
) -> None:
    table_statements = [
        statement
        for statement in statements(resources)
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"]))
    ]

    assert len(table_statements) == len(functions(resources))
    for table_statement in table_statements:
        assert set(table_statement["Action"]) == set(DATA_ACTIONS)
        resource_texts = [str(resource) for resource in table_statement["Resource"]]
        assert len(resource_texts) == 2
        assert any("/index/GSI1" in text for text in resource_texts)


def test_key_use_is_limited_to_dynamodb_secrets_manager_s3_and_message_data_keys(
    resources: dict[str, dict[str, Any]],
) -> None:
    kms_statements = [
        statement
        for statement in statements(resources)
        if any(action.startswith("kms:") for action in as_list(statement["Action"]))
    ]

    assert kms_statements
    for statement in kms_statements:
        conditions = statement["Condition"]
        via_service = "kms:ViaService" in conditions.get("StringEquals", {})
        access_key_secrets = conditions.get("StringLike") == {f"kms:EncryptionContext:{ACCESS_KEY_CONTEXT}": "*"}
        message_data_keys = conditions.get("StringEquals") == {
            f"kms:EncryptionContext:{DATA_KEY_PURPOSE}": DATA_KEY_PURPOSE_VALUE
        }
        assert (
            via_service
            or (access_key_secrets and statement["Action"] == "kms:Decrypt")
            or (message_data_keys and set(statement["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"})
        )


def test_every_service_function_gets_message_data_keys_and_the_deployment_key(
    resources: dict[str, dict[str, Any]],
) -> None:
    granted_roles = [
        role
        for policy in resources.values()
        if policy["Type"] == POLICY
        and any(
            f"kms:EncryptionContext:{DATA_KEY_PURPOSE}" in str(statement.get("Condition"))
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        )
        for role in policy["Properties"]["Roles"]
    ]
    environments = [function["Environment"]["Variables"] for function in functions(resources).values()]

    assert len(granted_roles) == len(functions(resources))
    assert all(ENV_KMS_KEY_ID in environment for environment in environments)


def test_message_data_key_context_mirrors_the_store() -> None:
    assert {DATA_KEY_PURPOSE: DATA_KEY_PURPOSE_VALUE} == DATA_KEY_CONTEXT


def test_only_the_api_function_may_decrypt_access_key_secrets(resources: dict[str, dict[str, Any]]) -> None:
    decrypting_roles = [
        policy["Properties"]["Roles"]
        for policy in resources.values()
        if policy["Type"] == POLICY
        and any(
            "kms:EncryptionContext:" + ACCESS_KEY_CONTEXT in str(statement.get("Condition"))
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        )
    ]

    assert [[role["Ref"].split("Role")[0] for role in roles] for roles in decrypting_roles] == [["ApiFunction"]]


def test_access_key_encryption_context_mirrors_the_store() -> None:
    assert ACCESS_KEY_CONTEXT == access_keys_dynamo.ENCRYPTION_CONTEXT_KEY


def test_function_may_read_the_receipt_secret(template: Template) -> None:
    template.has_resource_properties(
        POLICY,
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                                "Resource": {"Ref": Match.string_like_regexp("^ReceiptSecret")},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_granted_table_actions_cover_every_call_of_the_dynamodb_store() -> None:
    called = dynamodb_calls_of_the_store()
    # A transaction is authorized per item, as the PutItem/UpdateItem/DeleteItem it contains.
    called.discard("TransactWriteItems")

    assert called
    assert {f"dynamodb:{operation}" for operation in called} <= set(DATA_ACTIONS)


def dynamodb_calls_of_the_store() -> set[str]:
    """The DynamoDB operations the store's modules invoke on their boto3 client."""
    client = botocore.session.get_session().create_client("dynamodb", region_name="us-east-1")
    operations = client.meta.method_to_api_mapping
    storage_dir = Path(dynaqueue.storage.__file__).parent
    called: set[str] = set()
    for module in storage_dir.glob("dynamo*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in operations and is_client(node.value):
                called.add(operations[node.attr])
    return called


def is_client(node: ast.expr) -> bool:
    """`client`, `self._client` and the like."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name.endswith("client")
