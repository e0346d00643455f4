"""Run one processing script here, or as the same AWS SageMaker Processing job."""

__version__ = "0.1.0"
