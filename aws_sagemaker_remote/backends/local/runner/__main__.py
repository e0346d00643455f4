"""``python -m aws_sagemaker_remote.backends.local.runner <job-name>``: :func:`.jobrun.main`."""

import sys

from .jobrun import main

sys.exit(main())
