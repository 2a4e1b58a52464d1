"""The AWS infrastructure of dynaqueue: one CDK stack composed of constructs."""
