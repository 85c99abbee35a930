"""The use cases: receive, approve, reject, deliver; each module one step of a mention's flow."""

from bot.pipeline.delivery import LEASE, MAX_ATTEMPTS, DeliveryReport, backoff, deliver_due
from bot.pipeline.errors import (
    CommunityUnavailable,
    Conflict,
    Forbidden,
    NotFound,
    PipelineError,
    UnknownChannel,
)
from bot.pipeline.intake import Received, after_commit, receive, set_aside_or_raise, sync_communities, take_in
from bot.pipeline.review import SENIOR_ROLES, approve, reject

__all__ = [
    "LEASE",
    "MAX_ATTEMPTS",
    "SENIOR_ROLES",
    "CommunityUnavailable",
    "Conflict",
    "DeliveryReport",
    "Forbidden",
    "NotFound",
    "PipelineError",
    "Received",
    "UnknownChannel",
    "after_commit",
    "approve",
    "backoff",
    "deliver_due",
    "receive",
    "reject",
    "set_aside_or_raise",
    "sync_communities",
    "take_in",
]
