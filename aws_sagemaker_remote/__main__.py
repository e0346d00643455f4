"""``python -m aws_sagemaker_remote`` is the ``aws-sagemaker-remote`` command."""

from .cli import main

raise SystemExit(main())
