"""The status words: every one is either still running or ended, never both."""

from aws_sagemaker_remote.job import status


def test_active_and_terminal_split_every_status():
    every = {
        status.IN_PROGRESS,
        status.COMPLETING,
        status.COMPLETED,
        status.FAILED,
        status.STOPPING,
        status.STOPPED,
    }
    assert status.ACTIVE | status.TERMINAL == every
    assert not status.ACTIVE & status.TERMINAL
    assert status.UNSUCCESSFUL == status.TERMINAL - {status.COMPLETED}
