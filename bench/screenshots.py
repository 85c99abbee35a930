"""Shoot the README screenshots (docs/screenshots/*.png) from the demo, in headless Chromium.

Not a benchmark, but a script like the others here: it sets up `webcare demo` in a temporary
database, works a few items as an agent so the insights and audit log have something to show,
and saves queue.png, item.png, guideline.png, insights.png and audit.png.

    python bench/screenshots.py                  # into docs/screenshots
    python bench/screenshots.py --smoke          # into a temporary folder, checked and removed (tests)
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot import accounts, demo  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.main import build_services, create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.live_server import serve  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SHOTS = ("queue.png", "item.png", "guideline.png", "insights.png", "audit.png")
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


def shoot(base_url: str, out: Path) -> None:
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
        page.screenshot(path=out / "queue.png")
        page.locator("tr.row.selected a").click()
        page.screenshot(path=out / "item.png", full_page=True)
        page.goto("/guidelines/file?name=guidelines/dekelder-nl.yaml")
        page.get_by_label("Customer message").fill("Hoe lang duurt de bezorging naar Utrecht?")
        page.get_by_role("button", name="Preview with this text").click()
        page.screenshot(path=out / "guideline.png", full_page=True)
        page.goto("/insights?community=dekelder-nl&days=30")
        page.screenshot(path=out / "insights.png", full_page=True)
        page.goto("/audit")
        page.screenshot(path=out / "audit.png")
        browser.close()


def main(argv: list[str]) -> int:
    """Set up the demo in a temp database and shoot."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    parser.add_argument(
        "--smoke", action="store_true", help="shoot into a temporary folder and check the files"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="webcare-shots-") as tmp:
        out = Path(tmp) / "shots" if args.smoke else args.out
        out.mkdir(parents=True, exist_ok=True)
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
            guidelines_dir=ROOT / "guidelines",
            faq_dir=ROOT / "faq",
        )
        clock = SystemClock()
        demo.prepare(settings, clock, say=lambda _: None)
        services = build_services(settings, clock)
        with Session(services.engine) as session:
            accounts.add_user(
                session, username="anna", password=PASSWORD, role="community_manager", now=clock.now()
            )
        with serve(create_app(services, run_jobs=False)) as url:
            shoot(url, out)
        missing = [name for name in SHOTS if not (out / name).is_file() or not (out / name).stat().st_size]
        if missing:
            print(f"screenshots missing: {', '.join(missing)}", file=sys.stderr)
            return 1
        print(
            f"{len(SHOTS)} screenshots written to {'a temporary folder (smoke run)' if args.smoke else out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
