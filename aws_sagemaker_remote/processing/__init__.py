"""Processing scripts: one ``main(args)``, run here or as a SageMaker Processing job (public)."""

from ..args import OPTIONAL, PathArgument
from .main import in_job, sagemaker_processing_main

__all__ = ["sagemaker_processing_main", "PathArgument", "OPTIONAL", "in_job"]
