"""Shoot the README screenshots (docs/screenshots/*.png) from the demo, in headless Chromium.

Not a benchmark, but a script like the others here: it sets up `webcare demo` in a temporary
database, works a few items as an agent so the insights and audit log have something to show,
and saves queue.png, item.png, guideline.png, insights.png and audit.png.

    python bench/screenshots.py
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot import accounts, demo  # noqa: E402
from bot.main import build_services, create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.live_server import serve  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = secrets.token_urlsafe(16)


def work_a_few_items(page: Page) -> None:
    """Approve two drafts (one edited), reject one and escalate one, as an agent would."""
    for step in ("approve", "edit", "reject", "escalate"):
        page.goto("/queue")
        page.locator("tr.row td.text a").nth(3).click()
        if step == "edit":
            page.locator("#draft-text").press("End")
            page.locator("#draft-text").type(" Proost!")
        if step in ("approve", "edit"):
            page.get_by_role("button", name="Approve and send").click()
        elif step == "reject":
            page.get_by_label("Reason").fill("al per mail beantwoord")
            page.get_by_role("button", name="Reject").click()
        else:
            page.get_by_label("Escalation note").fill("vaste klant, wil de eigenaar spreken")
            page.get_by_role("button", name="Escalate").click()


def shoot(base_url: str) -> None:
    """Sign in, work some items, and save the pages."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(base_url=base_url, viewport={"width": 1360, "height": 860})
        page.goto("/login")
        page.get_by_label("Username").fill("anna")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        work_a_few_items(page)
        page.goto("/queue")
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.screenshot(path=OUT / "queue.png")
        page.locator("tr.row.selected a").click()
        page.screenshot(path=OUT / "item.png", full_page=True)
        page.goto("/guidelines/file?name=guidelines/dekelder-nl.yaml")
        page.get_by_label("Customer message").fill("Hoe lang duurt de bezorging naar Utrecht?")
        page.get_by_role("button", name="Preview with this text").click()
        page.screenshot(path=OUT / "guideline.png", full_page=True)
        page.goto("/insights?community=dekelder-nl&days=30")
        page.screenshot(path=OUT / "insights.png", full_page=True)
        page.goto("/audit")
        page.screenshot(path=OUT / "audit.png")
        browser.close()


def main() -> int:
    """Set up the demo in a temp database and shoot."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="webcare-shots-") as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
            guidelines_dir=ROOT / "guidelines",
            faq_dir=ROOT / "faq",
        )
        demo.prepare(settings, say=lambda _: None)
        services = build_services(settings)
        with Session(services.engine) as session:
            accounts.add_user(
                session, username="anna", password=PASSWORD, role="community_manager", now=datetime.now(UTC)
            )
        with serve(create_app(services, run_jobs=False)) as url:
            shoot(url)
    print(f"screenshots written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
