"""A right-to-left override in a customer's name cannot reorder the item heading."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.test_browser import base_url, new_page, page, post_mention, sign_in

__all__ = ["base_url", "new_page", "page"]  # fixtures used by name

OVERRIDE = "\u202e"  # RIGHT-TO-LEFT OVERRIDE, never closed


@pytest.mark.browser
def test_a_right_to_left_override_in_a_name_stays_inside_the_name(page: Page, base_url: str) -> None:
    author = {"id": "u-9", "handle": f"{OVERRIDE}anna_w", "name": f"{OVERRIDE}Anna de Wit", "followers": 120}
    draft_id = post_mention(base_url, "m-rlo", author=author)
    sign_in(page)
    page.goto(f"/queue/{draft_id}")
    name = _text_box(page, "Anna de Wit")
    handle = _text_box(page, "anna_w")
    followers = _text_box(page, "120 followers")
    # read left to right as always: the name, then the handle, then the follower count
    assert name["right"] <= handle["left"] and handle["right"] <= followers["left"]


def _text_box(page: Page, text: str) -> dict[str, float]:
    """Where the browser drew a piece of the heading's text, whatever element holds it."""
    box: dict[str, float] = page.evaluate(
        """text => {
            const heading = document.querySelector(".mention h1");
            const walker = document.createTreeWalker(heading, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(text);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + text.length);
                const rect = range.getBoundingClientRect();
                return {left: rect.left, right: rect.right};
            }
            return null;
        }""",
        text,
    )
    assert box, f"{text!r} is not in the heading"
    return box
