"""The guideline editor (CLI-identical errors, preview, revisions, roll-back), audit log, insights, users."""

from __future__ import annotations

import html
import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.models import AuditEvent, Community, Draft, GuidelineRevision
from bot.services import Services
from bot.settings import get_settings
from tests.conftest import add_user
from tests.test_web import sign_in
from tests.test_web_queue import post_mention

FILE = "guidelines/testshop.yaml"


@pytest.fixture
def manager(client: TestClient, services: Services) -> str:
    """Signed in as a community manager; yields the CSRF token."""
    add_user(services, "cm", role="community_manager")
    return sign_in(client, "cm")


def _cli_errors(services: Services, text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What `webcare guidelines check` prints for the file with this text (the file is put back after)."""
    path = services.registry.guidelines_dir / "testshop.yaml"
    original = path.read_text()
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(services.registry.guidelines_dir))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(services.registry.faq_dir))
    get_settings.cache_clear()
    try:
        path.write_text(text)
        result = CliRunner().invoke(cli, ["guidelines", "check"], terminal_width=500)
    finally:
        path.write_text(original)
        get_settings.cache_clear()
    assert result.exit_code == 1
    return [line for line in result.output.splitlines() if ".yaml:" in line]


def test_a_broken_edit_shows_the_clis_errors_and_saves_nothing(
    client: TestClient, services: Services, manager: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = services.registry.guidelines_dir / "testshop.yaml"
    original = path.read_text()
    broken = original.replace("normal: 24h", "normal: soon").replace("threshold: 0.6", "threshold: 7")
    response = client.post("/guidelines/file", data={"name": FILE, "text": broken, "csrf_token": manager})
    assert response.status_code == 422
    shown = [html.unescape(e) for e in re.findall(r"<li><code>(.*?)</code></li>", response.text)]
    assert shown == _cli_errors(services, broken, monkeypatch)
    assert len(shown) == 2
    assert "normal: soon" in response.text  # what the manager typed is kept in the editor
    assert path.read_text() == original
    with Session(services.engine) as session:
        assert session.exec(select(GuidelineRevision)).all() == []


def test_saving_keeps_revisions_and_rolls_back(client: TestClient, services: Services, manager: str) -> None:
    path = services.registry.guidelines_dir / "testshop.yaml"
    original = path.read_text()
    edited = original.replace("name: Testshop community", "name: Testshop fans")
    response = client.post(
        "/guidelines/file", data={"name": FILE, "text": edited, "note": "new name", "csrf_token": manager}
    )
    assert "Saved: the new version is in force." in response.text
    assert path.read_text() == edited
    assert services.registry.snapshot.communities["testshop"].guideline.name == "Testshop fans"
    assert "-name: Testshop community" in html.unescape(response.text)
    assert "+name: Testshop fans" in html.unescape(response.text)
    with Session(services.engine) as session:
        revisions = session.exec(select(GuidelineRevision).order_by(GuidelineRevision.id)).all()  # type: ignore[arg-type]
        assert [(r.actor, r.note) for r in revisions] == [
            ("disk", "as found on disk"),
            ("user:cm", "new name"),
        ]
        assert session.get(Community, "testshop").name == "Testshop fans"  # type: ignore[union-attr]
        first = revisions[0].id

    response = client.post("/guidelines/rollback", data={"revision": first, "csrf_token": manager})
    assert f"Rolled back to revision {first}." in response.text
    assert path.read_text() == original
    assert services.registry.snapshot.communities["testshop"].guideline.name == "Testshop community"
    audit = client.get("/audit", params={"action": "guideline."}).text
    assert audit.count(">changed a guideline</td>") == 2 and 'title="user:cm">cm</a>' in audit


def test_the_preview_answers_a_message_with_the_unsaved_text(
    client: TestClient, services: Services, manager: str
) -> None:
    path = services.registry.guidelines_dir / "testshop.yaml"
    original = path.read_text()
    edited = original.replace("Team {{ brand }}", "Het Testshop-team")
    response = client.post(
        "/guidelines/preview",
        data={
            "name": FILE,
            "text": edited,
            "message": "Hoe lang duurt de bezorging?",
            "community": "testshop",
            "csrf_token": manager,
        },
    )
    assert response.status_code == 200
    shown = re.search(r'<pre class="final preview-draft">(.*?)</pre>', response.text, re.S)
    assert shown is not None
    draft = html.unescape(shown.group(1))
    assert "1 tot 2 werkdagen" in draft and "Het Testshop-team" in draft
    assert path.read_text() == original


def test_files_outside_the_content_folders_cannot_be_opened(
    client: TestClient, services: Services, manager: str
) -> None:
    for name in ("../../etc/passwd", "guidelines/../../secret.yaml", "/etc/passwd"):
        assert client.get("/guidelines/file", params={"name": name}).status_code == 404
    listing = client.get("/guidelines").text
    assert FILE in listing and "faq/faq.yaml" in listing


def test_the_audit_log_shows_sign_ins_and_decisions(client: TestClient, services: Services) -> None:
    add_user(services, role="senior")
    draft_id = post_mention(client)
    csrf = sign_in(client)
    client.post(f"/queue/{draft_id}/approve", data={"text": "Hoi! Morgen.", "csrf_token": csrf})
    page = client.get("/audit").text
    rows = re.findall(r'<td class="action" title="[^"]+">([^<]+)</td>', page)
    assert rows == ["approved the draft after editing", "signed in"]
    assert "Hoi! Morgen." in page
    only = client.get("/audit", params={"action": "user."}).text
    assert re.findall(r'<td class="action" title="[^"]+">([^<]+)</td>', only) == ["signed in"]


def test_insights_count_what_happened(client: TestClient, services: Services) -> None:
    add_user(services)
    ids = [post_mention(client, f"m-{i}", author_id=f"u-{i}") for i in range(3)]
    lead = post_mention(
        client, "m-lead", "Wijnvoordeel is goedkoper, maar ik wil graag bestellen", author_id="u-9"
    )
    csrf = sign_in(client)
    client.post(f"/queue/{ids[0]}/approve", data={"csrf_token": csrf})
    client.post(f"/queue/{ids[1]}/approve", data={"text": "Anders geschreven.", "csrf_token": csrf})
    client.post(f"/queue/{ids[2]}/escalate", data={"csrf_token": csrf})
    page = client.get("/insights", params={"community": "testshop", "days": 7}).text
    assert '<span class="num" id="volume-total">4</span>' in page
    assert '<span class="num" id="unedited">50%</span>' in page
    assert '<span class="num" id="escalations">1</span>' in page
    assert '<span class="num" id="competitor">1</span>' in page
    # approved but not yet sent (the undo window, delivery not run): not answered yet
    assert '<span class="num" id="within-target">–</span>' in page
    assert page.count('<rect class="bar"') == 7 and page.count('<circle class="dot"') == 1
    assert "levertijd" in page.split("Top FAQ answers")[1]
    assert lead


def test_an_admin_adds_and_disables_users(client: TestClient, services: Services) -> None:
    add_user(services, "root", role="admin")
    csrf = sign_in(client, "root")
    response = client.post(
        "/users",
        data={"username": "newbie", "password": "long enough pass", "role": "agent", "csrf_token": csrf},
    )
    assert "User newbie added as agent." in response.text
    short = client.post(
        "/users", data={"username": "x", "password": "short", "role": "agent", "csrf_token": csrf}
    )
    assert "at least 10 characters" in short.text
    user_id = re.search(r'action="/users/(\d+)/disable"', response.text).group(1)  # type: ignore[union-attr]
    response = client.post(f"/users/{user_id}/disable", data={"csrf_token": csrf})
    assert "User newbie disabled" in response.text


def test_a_save_over_someone_elses_newer_save_is_refused_and_keeps_the_text(
    client: TestClient, services: Services, manager: str
) -> None:
    page = client.get("/guidelines/file", params={"name": FILE}).text
    base = re.search(r'name="base" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    path = services.registry.guidelines_dir / "testshop.yaml"
    original = path.read_text()
    theirs = original.replace("name: Testshop community", "name: Their name")
    mine = original.replace("name: Testshop community", "name: My name")
    path.write_text(theirs)  # a colleague saved first
    response = client.post(
        "/guidelines/file", data={"name": FILE, "text": mine, "base": base, "csrf_token": manager}
    )
    assert response.status_code == 409
    assert "someone changed this file since you opened it" in response.text
    assert "name: My name" in response.text
    assert path.read_text() == theirs


def test_insights_split_rule_and_manual_escalations_and_name_faq_answers_by_question(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    ids = [post_mention(client, f"m-{i}", author_id=f"u-{i}") for i in range(3)]
    with Session(services.engine) as session:
        # as the rules engine records a fired escalation rule among the draft's reasons
        draft = session.get(Draft, ids[0])
        assert draft is not None
        draft.reasons = [*draft.reasons, "escalation 'legal': urgent, team legal, senior approval"]
        session.add(draft)
        session.commit()
    csrf = sign_in(client)
    client.post(f"/queue/{ids[1]}/escalate", data={"csrf_token": csrf})
    client.post(f"/queue/{ids[2]}/approve", data={"csrf_token": csrf})
    page = client.get("/insights", params={"community": "testshop", "days": 7}).text
    assert '<span class="num" id="escalations">2</span>' in page
    assert '<span id="rule-escalations">1</span> by a guideline rule' in page
    assert '<span id="manual-escalations">1</span> by a person' in page
    top = page.split("Top FAQ answers")[1].split("</ol>")[0]
    assert "Hoe lang duurt de bezorging?" in top


def test_the_chart_axis_is_labelled_up_to_its_last_day() -> None:
    from datetime import date, timedelta

    from bot.web import charts

    for n in (1, 7, 30, 90):
        days = [date(2026, 11, 6) + timedelta(days=i) for i in range(n)]
        labels = [text for _, text in charts.bars(days, [1] * n).labels]
        assert labels[0] == days[0].strftime("%d %b") and labels[-1] == days[-1].strftime("%d %b")
        assert len(labels) == len(set(labels)) <= 8


def test_every_audit_action_the_code_writes_has_words() -> None:
    from pathlib import Path

    from bot.web.audit import ACTION_WORDS

    source = "\n".join(p.read_text() for p in Path("bot").rglob("*.py"))
    written = set(
        re.findall(r'"((?:draft|user|guideline|api_token|customer|retention|order)\.[a-z_]+)"', source)
    )
    written -= {"draft.id", "customer.id"}
    written |= {"faq.example_accept", "faq.example_dismiss"}  # written through an f-string
    assert written and written <= set(ACTION_WORDS), sorted(written - set(ACTION_WORDS))


def test_the_audit_log_filters_by_person_and_action_and_downloads_as_safe_csv(
    client: TestClient, services: Services
) -> None:
    import csv
    import io

    add_user(services, role="senior")
    draft_id = post_mention(client)
    csrf = sign_in(client)
    client.post(f"/queue/{draft_id}/approve", data={"text": "Hoi! Morgen.", "csrf_token": csrf})
    with Session(services.engine) as session:
        # what a hostile value looks like once a spreadsheet opens the file
        hostile = AuditEvent(
            at=services.clock.now(),
            actor="=HYPERLINK(1)",
            action="user.sign_in",
            object_type="user",
            object_id="@x",
            after={"note": "-2+3"},
        )
        session.add(hostile)
        session.commit()
    page = client.get("/audit", params={"actor": "user:agent1"}).text
    assert re.findall(r'<td class="action" title="[^"]+">([^<]+)</td>', page) == [
        "approved the draft after editing",
        "signed in",
    ]
    assert 'href="/audit.csv?actor=user%3Aagent1"' in page
    only = client.get("/audit", params={"action": "draft.approve"}).text
    assert "approved the draft after editing" not in only.split("<tbody>")[1]
    response = client.get("/audit.csv", params={"action": "user.sign_in"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["when", "who", "what"]
    assert sorted(r[1] for r in rows[1:]) == ["'=HYPERLINK(1)", "agent1"]
    assert all(r[2] == "signed in" for r in rows[1:])
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_volume_chart_ends_on_today_with_todays_mentions(client: TestClient, services: Services) -> None:
    add_user(services)
    post_mention(client, "m-1")
    sign_in(client)
    page = client.get("/insights", params={"community": "testshop", "days": 30}).text
    titles = re.findall(r"<rect class=\"bar\"[^>]*><title>([^<]+)</title>", page)
    # the community's day (testshop keeps the default zone), which is not UTC's between 22:00 or
    # 23:00 UTC and midnight
    today = services.clock.now().astimezone(ZoneInfo("Europe/Amsterdam")).date()
    # the mention was written five minutes ago: its day is the last bar (just after midnight, yesterday's)
    assert len(titles) == 30
    assert titles[-1] == f"{today}: 1" or titles[-2].endswith(": 1")
    assert today.strftime("%d %b") in page.split("Mentions per day")[1].split("</svg>")[0]


def test_the_audit_log_is_for_seniors_and_up_and_reads_in_the_readers_zone(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    add_user(services, "lead", role="senior")
    sign_in(client)
    queue = client.get("/queue").text
    assert 'href="/audit"' not in queue
    for path in ("/audit", "/audit.csv"):
        refused = client.get(path)
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
        assert "senior role or higher" in refused.text
    token = sign_in(client, "lead")
    assert 'href="/audit"' in client.get("/queue").text
    client.post("/account/timezone", data={"timezone": "America/New_York", "csrf_token": token})
    client.post("/account/language", data={"language": "nl", "csrf_token": token})
    page = client.get("/audit").text
    assert re.search(r"<td>\w+ \d+ \w+ \d\d:\d\d E[SD]T</td>", page)  # EDT in summer
    assert ">logde in</td>" in page and ">wijzigde de eigen tijdzone</td>" in page
    rows = client.get("/audit.csv").text.splitlines()
    assert (
        rows[1].split(",")[0].endswith((" EST", " EDT")) and "wijzigde de taal van de eigen datums" in rows[1]
    )
