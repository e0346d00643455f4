"""The status words of a processing job, defined once (SageMaker's own, which the local
engine uses too)."""

IN_PROGRESS = "InProgress"
COMPLETING = "Completing"
COMPLETED = "Completed"
FAILED = "Failed"
STOPPING = "Stopping"
STOPPED = "Stopped"

ACTIVE = frozenset({IN_PROGRESS, COMPLETING, STOPPING})  # still running: poll again
TERMINAL = frozenset({COMPLETED, FAILED, STOPPED})  # ended for good
UNSUCCESSFUL = frozenset({FAILED, STOPPED})  # ended without its outputs being complete
