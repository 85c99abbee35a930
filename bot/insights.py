"""Numbers for the insights page, per community over the last days; plain aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, func
from sqlmodel import Session, col, select

from bot.models import Draft, Mention

# answered: the customer has the reply (sent) or an agent said it was answered elsewhere; an approved
# reply still waiting (an undo window, no adapter for its platform) or a failed one is not
DECIDED = ("sent", "answered")
APPROVED = ("approved", "sent", "failed")
REVIEWED = (*APPROVED, "rejected")
AUTO_SEND = "policy:auto-send"


@dataclass(frozen=True)
class Reviews:
    """How agents took the bot's drafts for one FAQ entry or one act ('' when there is none)."""

    key: str
    reviewed: int  # approved or rejected by an agent
    unedited: int  # approved as the bot wrote them
    rejected: int
    reasons: list[tuple[str, int]]  # reject categories, the most frequent first

    @property
    def unedited_share(self) -> float | None:
        """Share of the reviewed drafts an agent approved unchanged."""
        return self.unedited / self.reviewed if self.reviewed else None


@dataclass(frozen=True)
class Insights:
    """What a community manager looks at: volume, mood, speed, what the bot answered, leads."""

    days: list[date]
    volume: list[int]
    sentiment: list[float | None]
    decided: int
    within_target: int
    approved: int
    unedited: int
    rule_escalations: int  # drafts an escalation rule of the guideline sent to a team or a senior
    manual_escalations: int  # drafts a person escalated
    competitor: int
    leads: int
    top_faq: list[tuple[str, int]]
    by_faq: list[Reviews]
    by_act: list[Reviews]

    @property
    def escalations(self) -> int:
        """Escalated drafts by a rule or by a person (a draft both ways counts in each)."""
        return self.rule_escalations + self.manual_escalations

    @property
    def within_target_share(self) -> float | None:
        """Share of answered items answered before their deadline."""
        return self.within_target / self.decided if self.decided else None

    @property
    def unedited_share(self) -> float | None:
        """Share of approved drafts that went out as the bot wrote them."""
        return self.unedited / self.approved if self.approved else None


def _utc_hour(session: Session) -> Any:
    # the UTC hour a mention was written in, which the caller files under a local day: grouping by
    # hour keeps the rows few (at most 24 a day) and works for every zone with whole-hour offsets
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", Mention.created_at))
    return func.strftime("%Y-%m-%d %H:00:00", Mention.created_at)


def _hour(value: Any) -> datetime:
    # SQLite gives 'YYYY-MM-DD HH:00:00' strings, PostgreSQL naive UTC datetimes
    hour = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return hour.replace(tzinfo=UTC)


def _per_day(
    session: Session, community: str, since: datetime, zone: tzinfo
) -> dict[date, tuple[int, float]]:
    """Mentions and their average sentiment per day of the community's calendar, by when the
    customer wrote (not when webcare fetched it: a backfill arrives all at once)."""
    hour = _utc_hour(session)
    stmt = (
        select(hour, func.count(), func.sum(Mention.sentiment))
        .where(Mention.community_id == community, col(Mention.created_at) >= since)
        .group_by(hour)
    )
    totals: dict[date, tuple[int, float]] = {}
    for at, n, summed in session.exec(stmt).all():
        day = _hour(at).astimezone(zone).date()
        count, total = totals.get(day, (0, 0.0))
        totals[day] = (count + int(n), total + float(summed or 0.0))
    return {day: (n, total / n) for day, (n, total) in totals.items()}


def _count(session: Session, *conditions: Any) -> int:
    return int(session.exec(select(func.count()).select_from(Draft).where(*conditions)).one())


def _signal(session: Session, community: str, since: datetime, signal: str) -> int:
    stmt = select(func.count()).where(
        Mention.community_id == community,
        col(Mention.created_at) >= since,
        cast(Mention.signals, String).like(f'%"{signal}"%'),
    )
    return int(session.exec(stmt).one())


def compute(session: Session, *, community: str, now: datetime, days: int, zone: str = "UTC") -> Insights:
    """Insights for one community over the last `days` days of its calendar (zone 'Europe/Amsterdam')."""
    tz = ZoneInfo(zone)
    first = now.astimezone(tz).date() - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=tz).astimezone(UTC)
    daily = _per_day(session, community, since, tz)
    axis = [first + timedelta(days=i) for i in range(days)]
    mine = (Draft.community_id == community, col(Draft.created_at) >= since)
    decided = (*mine, col(Draft.status).in_(DECIDED), col(Draft.decided_at).is_not(None))
    approved = (*mine, col(Draft.status).in_(("approved", "sent", "failed")))
    top = session.exec(
        select(Draft.faq_id, func.count())
        .where(*approved, col(Draft.faq_id).is_not(None))
        .group_by(col(Draft.faq_id))
        .order_by(func.count().desc())
        .limit(10)
    ).all()
    return Insights(
        days=axis,
        volume=[daily.get(d, (0, 0.0))[0] for d in axis],
        sentiment=[daily[d][1] if d in daily else None for d in axis],
        decided=_count(session, *decided),
        within_target=_count(session, *decided, col(Draft.decided_at) <= col(Draft.due_at)),
        approved=_count(session, *approved),
        unedited=_count(session, *approved, col(Draft.text) == col(Draft.original_text)),
        # the rules engine writes "escalation '<rule>': ..." among a draft's reasons; a person's
        # escalation (the draft.escalate action) is the only one that stamps escalated_at
        rule_escalations=_count(session, *mine, cast(Draft.reasons, String).like("%escalation '%")),
        manual_escalations=_count(session, *mine, col(Draft.escalated_at).is_not(None)),
        competitor=_signal(session, community, since, "competitor"),
        leads=_signal(session, community, since, "buying_intent"),
        top_faq=[(str(faq), int(n)) for faq, n in top],
        by_faq=reviews(session, community=community, since=since, by="faq"),
        by_act=reviews(session, community=community, since=since, by="act"),
    )


def reviews(session: Session, *, community: str, since: datetime, by: Literal["faq", "act"]) -> list[Reviews]:
    """Per FAQ entry or per act: drafts agents reviewed, approved unedited, rejected and why.

    Replies to mentions only; drafts the guideline sent by itself are no agent's judgement.
    """
    key = col(Draft.faq_id) if by == "faq" else col(Mention.act)
    mine = (
        col(Mention.id) == col(Draft.mention_id),
        Draft.community_id == community,
        col(Draft.created_at) >= since,
        col(Draft.status).in_(REVIEWED),
        col(Draft.decided_by) != AUTO_SEND,
    )
    unchanged = and_(col(Draft.status).in_(APPROVED), col(Draft.text) == col(Draft.original_text))
    rejected = col(Draft.status) == "rejected"
    sums = (func.sum(case((unchanged, 1), else_=0)), func.sum(case((rejected, 1), else_=0)))
    counts = session.exec(select(key, func.count(), *sums).where(*mine).group_by(key)).all()
    why: dict[str, list[tuple[str, int]]] = {}
    category = col(Draft.reject_category)
    for k, c, n in session.exec(
        select(key, category, func.count()).where(*mine, rejected).group_by(key, category)
    ):
        why.setdefault(k or "", []).append((c, int(n)))
    found = [
        Reviews(
            k or "",
            int(n),
            int(same or 0),
            int(no or 0),
            sorted(why.get(k or "", []), key=lambda r: (-r[1], r[0])),
        )
        for k, n, same, no in counts
    ]
    return sorted(found, key=lambda r: (-r.reviewed, r.key))
