"""Errors the use cases report to their callers."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of the errors a use case reports to its caller."""


class UnknownChannel(PipelineError):
    """No community listens to the platform channel a mention came from."""


class CommunityUnavailable(UnknownChannel):
    """The community listening to the channel has content the service cannot run with right now."""


class NotFound(PipelineError):
    """The draft does not exist."""


class Conflict(PipelineError):
    """Someone else acted on the draft first, or it is not in a state that allows this."""


class Forbidden(PipelineError):
    """The actor's role does not allow this action."""
