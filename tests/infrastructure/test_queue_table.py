"""The synthesized table is the table the PynamoDB models declare, and it is protected as the stage requires."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Match, Template

from dynaqueue.storage.tables import TABLE_SCHEMA, MessageItem
from stacks.constructs.data_key import DataKey
from stacks.constructs.queue_table import QueueTable
from stacks.settings import StackSettings
from tests.infrastructure.conftest import app_context

TABLE = "AWS::DynamoDB::GlobalTable"


def the_table(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (table,) = (resource for resource in resources.values() if resource["Type"] == TABLE)
    return table


def model_schema() -> dict[str, Any]:
    return MessageItem._get_schema()


def normalized(indexes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Indexes by name, projected attributes in a set: DynamoDB ignores the order of either."""
    return sorted(
        (
            {
                **index,
                "Projection": {
                    **index["Projection"],
                    "NonKeyAttributes": set(index["Projection"].get("NonKeyAttributes", ())),
                },
            }
            for index in indexes
        ),
        key=lambda index: index["IndexName"],
    )


def test_key_schema_equals_the_models(resources: dict[str, dict[str, Any]]) -> None:
    assert the_table(resources)["Properties"]["KeySchema"] == model_schema()["key_schema"]


def test_attribute_definitions_equal_the_models(resources: dict[str, dict[str, Any]]) -> None:
    synthesized = the_table(resources)["Properties"]["AttributeDefinitions"]
    declared = model_schema()["attribute_definitions"]
    assert sorted(synthesized, key=lambda attribute: attribute["AttributeName"]) == sorted(
        declared, key=lambda attribute: attribute["AttributeName"]
    )


def test_secondary_indexes_equal_the_models(resources: dict[str, dict[str, Any]]) -> None:
    properties = the_table(resources)["Properties"]
    declared = [
        {"IndexName": index["index_name"], "KeySchema": index["key_schema"], "Projection": index["projection"]}
        for index in model_schema()["global_secondary_indexes"]
    ]
    assert normalized(properties["GlobalSecondaryIndexes"]) == normalized(declared)
    assert "LocalSecondaryIndexes" not in properties
    assert model_schema()["local_secondary_indexes"] == []


def test_time_to_live_attribute_is_the_models(resources: dict[str, dict[str, Any]]) -> None:
    assert the_table(resources)["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": TABLE_SCHEMA.ttl_attribute,
        "Enabled": True,
    }


def test_table_is_on_demand_recoverable_and_encrypted_with_the_rotating_data_key(template: Template) -> None:
    template.has_resource_properties(
        TABLE,
        {
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
            "Replicas": [
                Match.object_like(
                    {
                        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                        "SSESpecification": {
                            "KMSMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^DataKey"), "Arn"]}
                        },
                    }
                )
            ],
        },
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_dev_table_can_be_deleted_with_its_stack(template: Template) -> None:
    template.has_resource(TABLE, {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"})
    template.has_resource_properties(TABLE, {"Replicas": [Match.object_like({"DeletionProtectionEnabled": False})]})


def test_production_table_and_key_outlive_the_stack() -> None:
    app = cdk.App(context=app_context(stage="prod"))
    stack = cdk.Stack(app, "Prod", env=cdk.Environment(region="us-east-1"))
    settings = StackSettings.from_context(app.node)
    QueueTable(stack, "QueueTable", key=DataKey(stack, "DataKey", settings=settings), settings=settings)

    template = Template.from_stack(stack)

    template.has_resource(TABLE, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    template.has_resource_properties(TABLE, {"Replicas": [Match.object_like({"DeletionProtectionEnabled": True})]})
    template.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Retain"})
