"""Guidelines and FAQ in the browser: view, edit with the CLI's validation, preview, revisions, roll-back,
and the example phrasings agents taught by answering otherwise than the bot."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot import accounts, content_edit, pipeline
from bot.models import GuidelineRevision
from bot.pipeline import examples
from bot.schemas import RowId
from bot.web import openapi
from bot.web.deps import CsrfUserDep, NowDep, ServicesDep, SessionDep, UserDep, require_role, templates

router = APIRouter(responses=openapi.PAGE)
EDITOR = "community_manager"
TextField = Annotated[str, Form(max_length=500_000)]


@router.get("/guidelines", response_class=HTMLResponse)
def guidelines_index(
    request: Request,
    who: UserDep,
    services: ServicesDep,
    session: SessionDep,
    notice: str = "",
    error: str = "",
) -> Response:
    """Every community's guideline file and the FAQ files; for editors, the suggested FAQ examples."""
    snapshot = services.registry.snapshot
    editor = accounts.role_at_least(who.user.role, EDITOR)
    offers, pending = examples.pending(session) if editor else ([], 0)
    context = {
        "who": who,
        "files": content_edit.files(services.registry),
        "communities": snapshot.communities,
        "errors": services.registry.errors,
        "offers": offers,
        "pending": pending,
        "faq": sorted(snapshot.faq.entries.values(), key=lambda e: (e.language, e.question.casefold())),
        "notice": notice,
        "error": error,
    }
    return templates.TemplateResponse(request, "guidelines.html", context)


def _to_index(**query: str) -> Response:
    target = f"/guidelines?{urlencode(query)}#suggestions"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/guidelines/suggestions/{suggestion_id}/accept", responses=openapi.FORM)
def accept_suggestion(
    suggestion_id: RowId,
    who: CsrfUserDep,
    services: ServicesDep,
    session: SessionDep,
    now: NowDep,
    faq_id: Annotated[str, Form(max_length=120)],
    example: Annotated[str, Form(max_length=5000)],
) -> Response:
    """Add the customer's words to an FAQ entry's examples: a revision like any other edit."""
    require_role(who, EDITOR)
    try:
        name = examples.accept(
            session, services.registry, suggestion_id,
            faq_id=faq_id, example=example, actor=who.actor, now=now,
        )  # fmt: skip
    except pipeline.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (pipeline.Conflict, ValueError) as exc:
        return _to_index(error=f"Not added: {exc}.")
    return _to_index(notice=f"Added as an example for {faq_id} in {name}.")


@router.post("/guidelines/suggestions/{suggestion_id}/dismiss", responses=openapi.FORM)
def dismiss_suggestion(suggestion_id: RowId, who: CsrfUserDep, session: SessionDep, now: NowDep) -> Response:
    """Drop a suggestion; it is not offered again."""
    require_role(who, EDITOR)
    try:
        examples.dismiss(session, suggestion_id, actor=who.actor, now=now)
    except pipeline.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except pipeline.Conflict as exc:
        return _to_index(error=f"Not dismissed: {exc}.")
    return _to_index(notice="Dismissed: it will not be offered again.")


def _file(services: ServicesDep, name: str) -> content_edit.ContentFile:
    found = content_edit.find(services.registry, name)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such guideline or FAQ file")
    return found


def _editor(request: Request, code: int = 200, **context: Any) -> Response:
    services = request.app.state.services
    context.setdefault("communities", sorted(services.registry.snapshot.communities))
    context.setdefault("errors", [])
    context.setdefault("result", None)
    context.setdefault("message", "")
    context.setdefault("base", "")
    context.setdefault("chosen", content_edit.community_of(context["file"]))
    response = templates.TemplateResponse(request, "guideline_edit.html", context)
    response.status_code = code
    return response


@router.get("/guidelines/file", response_class=HTMLResponse, responses=openapi.refusals(404, page=True))
def guideline_file(
    request: Request, who: UserDep, services: ServicesDep, session: SessionDep, name: str, notice: str = ""
) -> Response:
    """One file: its text (editable for community managers) and its revisions."""
    file = _file(services, name)
    text = file.path.read_text(encoding="utf-8")
    return _editor(
        request,
        who=who,
        file=file,
        text=text,
        base=content_edit.fingerprint(text),
        revisions=content_edit.revisions(session, name),
        notice=notice,
    )


@router.post(
    "/guidelines/file", response_class=HTMLResponse, responses=openapi.FORM | openapi.refusals(409, page=True)
)
def save_file(
    request: Request,
    who: CsrfUserDep,
    services: ServicesDep,
    session: SessionDep,
    name: Annotated[str, Form()],
    text: TextField,
    now: NowDep,
    note: Annotated[str, Form(max_length=500)] = "",
    base: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Save a valid edit; show the CLI's errors (and keep what was typed) when it is not valid."""
    require_role(who, EDITOR)
    file = _file(services, name)
    if base and base != content_edit.fingerprint(file.path.read_text(encoding="utf-8")):
        stale = (
            "Not saved: someone changed this file since you opened it. Your text is below; "
            "copy it, reload, and apply your change again."
        )
        revisions = content_edit.revisions(session, name)
        return _editor(
            request, 409, who=who, file=file, text=text, revisions=revisions, error=stale, base=base
        )
    errors = content_edit.validate(services.registry, file, text)
    if errors:
        revisions = content_edit.revisions(session, name)
        return _editor(
            request, 422, who=who, file=file, text=text, revisions=revisions, errors=errors, base=base
        )
    saved = content_edit.save(
        session, services.registry, file, text, actor=who.actor, now=now, note=note.strip()
    )
    pipeline.sync_communities(session, services.registry, now=now)
    notice = "Saved: the new version is in force." if saved else "Nothing changed."
    return RedirectResponse(
        f"/guidelines/file?{urlencode({'name': name, 'notice': notice})}",
        status_code=status.HTTP_303_SEE_OTHER,
    )


@router.post("/guidelines/preview", response_class=HTMLResponse, responses=openapi.FORM)
def preview(
    request: Request,
    who: CsrfUserDep,
    services: ServicesDep,
    session: SessionDep,
    name: Annotated[str, Form()],
    text: TextField,
    now: NowDep,
    message: Annotated[str, Form(max_length=5000)] = "",
    community: Annotated[str, Form(max_length=64)] = "",
    base: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """What the bot would answer to a message with the text in the editor (not saved)."""
    file = _file(services, name)
    errors = content_edit.validate(services.registry, file, text)
    result = None
    if not errors and message.strip():
        result = content_edit.preview(
            services.registry, file, text, community=community, message=message, now=now
        )
    revisions = content_edit.revisions(session, name)
    return _editor(
        request, 422 if errors else 200, who=who, file=file, text=text, revisions=revisions,
        errors=errors, result=result, message=message, chosen=community, base=base,
    )  # fmt: skip


@router.post("/guidelines/rollback", responses=openapi.FORM)
def rollback(
    who: CsrfUserDep,
    services: ServicesDep,
    session: SessionDep,
    revision: Annotated[RowId, Form()],
    now: NowDep,
) -> Response:
    """Put an earlier revision back in force (itself recorded as a new revision)."""
    require_role(who, EDITOR)
    row = session.get(GuidelineRevision, revision)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such revision")
    file = _file(services, row.file)
    errors = content_edit.validate(services.registry, file, row.content)
    if errors:
        notice = f"Not rolled back: revision {revision} is not valid with today's other files: {errors[0]}"
    else:
        content_edit.save(
            session,
            services.registry,
            file,
            row.content,
            actor=who.actor,
            now=now,
            note=f"roll-back to #{revision}",
        )
        pipeline.sync_communities(session, services.registry, now=now)
        notice = f"Rolled back to revision {revision}."
    return RedirectResponse(
        f"/guidelines/file?{urlencode({'name': row.file, 'notice': notice})}",
        status_code=status.HTTP_303_SEE_OTHER,
    )
