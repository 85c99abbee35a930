"""The audit log page: who approved, edited, rejected, changed a guideline, signed in; and as CSV."""

from __future__ import annotations

import csv
import io
from functools import partial
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from bot.models import AuditEvent
from bot.schemas import Count
from bot.web import openapi
from bot.web.deps import SeniorDep, SessionDep, templates
from bot.web.format import local

router = APIRouter(responses=openapi.PAGE)
PAGE_SIZE = 100
CSV_ROWS = 50_000

# every action code the code writes, in plain words (English, Dutch); tests/test_web_pages.py checks
# that each code written anywhere in bot/ is here
ACTION_WORDS: dict[str, tuple[str, str]] = {
    "draft.approve": ("approved the draft", "keurde het concept goed"),
    "draft.approve_edited": ("approved the draft after editing", "keurde het concept goed na bewerken"),
    "draft.reject": ("rejected the draft", "wees het concept af"),
    "draft.escalate": ("escalated the item", "escaleerde het item"),
    "draft.assign": ("assigned the item", "wees het item toe"),
    "draft.snooze": ("snoozed the item", "zette het item even opzij"),
    "draft.undo_approve": ("undid an approval", "draaide een goedkeuring terug"),
    "draft.answered_by_hand": (
        "marked the item answered elsewhere",
        "markeerde het item als elders beantwoord",
    ),
    "guideline.edit": ("changed a guideline", "wijzigde een richtlijn"),
    "user.add": ("added a person", "voegde iemand toe"),
    "user.role": ("changed someone's role", "wijzigde iemands rol"),
    "user.teams": ("changed someone's teams", "wijzigde iemands teams"),
    "user.disable": ("disabled a person", "schakelde iemand uit"),
    "user.enable": ("enabled a person again", "schakelde iemand weer in"),
    "user.sign_in": ("signed in", "logde in"),
    "user.sign_out": ("signed out", "logde uit"),
    "user.session_revoke": ("ended a sign-in session", "beëindigde een sessie"),
    "user.timezone": ("changed their time zone", "wijzigde de eigen tijdzone"),
    "user.language": ("changed the language of their dates", "wijzigde de taal van de eigen datums"),
    "user.sign_out_elsewhere": ("signed out on other devices", "logde uit op andere apparaten"),
    "user.sign_out_everywhere": ("signed someone out everywhere", "logde iemand overal uit"),
    "api_token.create": ("created an API token", "maakte een API-token aan"),
    "api_token.revoke": ("revoked an API token", "trok een API-token in"),
    "customer.erase": ("erased a customer's data", "wiste de gegevens van een klant"),
    "retention.erase": ("erased old data (retention)", "wiste oude gegevens (bewaartermijn)"),
    "order.record": ("recorded an order", "legde een bestelling vast"),
    "faq.example_accept": ("accepted a suggested FAQ example", "nam een voorgesteld FAQ-voorbeeld over"),
    "faq.example_dismiss": ("dismissed a suggested FAQ example", "wees een voorgesteld FAQ-voorbeeld af"),
}


def action_words(code: str, language: str = "en") -> str:
    """An action code in plain words; an unknown code as it is, so nothing is hidden."""
    words = ACTION_WORDS.get(code)
    return (words[1] if language == "nl" else words[0]) if words else code


def actor_words(actor: str) -> str:
    """'user:anna' as 'anna'; the guideline's own sends and API callers by what they are."""
    kind, _, name = actor.partition(":")
    if kind == "user":
        return name
    if kind == "policy":
        return f"the guideline ({name.replace('-', ' ')})"
    return f"{name} ({kind})" if name else actor


def _actors(session: Session) -> list[str]:
    return sorted(session.exec(select(AuditEvent.actor).distinct()).all())


def _actions(session: Session, language: str) -> list[str]:
    written = set(session.exec(select(AuditEvent.action).distinct()).all())
    return sorted(written | set(ACTION_WORDS), key=lambda code: action_words(code, language))


def _events(session: Session, actor: str, action: str, limit: int, offset: int) -> list[AuditEvent]:
    # an exact action ('draft.approve' must not also list 'draft.approve_edited'); 'draft.' for a kind
    stmt = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action.endswith("."):
        stmt = stmt.where(col(AuditEvent.action).startswith(action))
    elif action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.exec(stmt.offset(offset).limit(limit)).all())


def _filters(actor: str, action: str) -> str:
    return urlencode({k: v for k, v in {"actor": actor, "action": action}.items() if v})


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    who: SeniorDep,
    session: SessionDep,
    actor: str = "",
    action: str = "",
    page: Count = 1,
) -> Response:
    """Audit events, newest first, filtered by person and by action."""
    page = min(max(page, 1), 10_000)
    events = _events(session, actor.strip(), action, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "who": who,
            "events": events[:PAGE_SIZE],
            "has_next": len(events) > PAGE_SIZE,
            "page": page,
            "actor": actor,
            "action": action,
            "actors": _actors(session),
            "actions": _actions(session, who.user.language),
            "query": _filters(actor, action),
            "action_words": partial(action_words, language=who.user.language),
            "actor_words": actor_words,
        },
    )


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would otherwise start a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def audit_csv_text(events: list[AuditEvent], *, zone: str = "", language: str = "en") -> str:
    """The events as CSV: when (in the reader's zone), who, what in words, the code, the object,
    before and after."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["when", "who", "what", "action", "object", "before", "after"])
    for e in events:
        row = [
            local(e.at, zone, language=language),
            actor_words(e.actor),
            action_words(e.action, language),
            e.action,
            f"{e.object_type} {e.object_id}",
            _plain(e.before),
            _plain(e.after),
        ]
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def _plain(values: dict[str, object]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in values.items() if k not in ("diff", "content"))


@router.get("/audit.csv", response_class=Response)
def audit_csv(who: SeniorDep, session: SessionDep, actor: str = "", action: str = "") -> Response:
    """The audit log with the page's filters, as a CSV file to open in a spreadsheet."""
    events = _events(session, actor.strip(), action, CSV_ROWS, 0)
    return Response(
        audit_csv_text(events, zone=who.user.timezone, language=who.user.language),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
