"""A submission, in order: where it goes, its inputs, its checks, the job it creates, and
the :class:`~.handle.Job` handle that follows it. Nothing here prints."""
