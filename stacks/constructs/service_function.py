"""ServiceFunction: a dynaqueue Lambda function with the project's runtime, logging and tracing defaults."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from dynaqueue.metric_names import SERVICE_NAME
from stacks.bundling import lambda_code
from stacks.settings import StackSettings

# Powertools publishes every metric under this namespace with the dimension service=SERVICE_NAME.
METRICS_NAMESPACE = "DynaQueue"


class ServiceFunction(lambda_.Function):
    """A function running the dynaqueue package: arm64, X-Ray, JSON logs into its own log group."""

    # 3.14 has wheels for every dependency, but no 3.14 interpreter exists on the build machines to
    # precompile the asset's bytecode, and shipping without it costs ~0.8 s per cold start.
    RUNTIME = lambda_.Runtime.PYTHON_3_13
    ARCHITECTURE = lambda_.Architecture.ARM_64
    # Wheel tags pip may install for ARCHITECTURE; the runtime's Amazon Linux 2023 has glibc 2.34.
    WHEEL_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
    MEMORY_MB = 256

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        handler: str,
        environment: Mapping[str, str],
        timeout: cdk.Duration,
        description: str,
        settings: StackSettings,
    ) -> None:
        # Siblings, not children: both must exist before the function is, and a construct
        # cannot create children before its own constructor has run.
        log_group = logs.LogGroup(
            scope,
            f"{id}Logs",
            retention=settings.log_retention,
            removal_policy=settings.removal_policy,
        )
        # An own role instead of the default one: it can write to this log group only, where the
        # AWSLambdaBasicExecutionRole managed policy would allow every log group in the account.
        role = iam.Role(scope, f"{id}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        super().__init__(
            scope,
            id,
            runtime=self.RUNTIME,
            architecture=self.ARCHITECTURE,
            code=lambda_code(
                python_version=self.RUNTIME.name.removeprefix("python"),
                platforms=self.WHEEL_PLATFORMS,
            ),
            handler=handler,
            description=description,
            memory_size=self.MEMORY_MB,
            timeout=timeout,
            role=role,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            # Lambda filters below this level too, so it must agree with Powertools' level.
            application_log_level_v2=lambda_.ApplicationLogLevel[settings.log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            environment={
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": settings.log_level,
                **environment,
            },
        )
