"""Reminders and follow-ups read like replies; the plan picks texts by what was bought, skips late steps."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from responders import plans
from responders.content import load_content
from responders.domain import Guideline
from responders.nudges import write_message
from responders.plans import OrderLine, order_lines, plan, step_text
from tests.factories import FAQ, GUIDELINE, write_content
from tests.jobs_support import POLICIES, T0


def guideline(tmp_path: Path, policies: str = POLICIES) -> Guideline:
    guidelines, faq = write_content(tmp_path, GUIDELINE + policies, FAQ)
    return load_content(guidelines, faq).guidelines["testshop"]


@pytest.fixture
def shop(tmp_path: Path) -> Guideline:
    """The test community: thanks at once, tips by category after 3 days, a check after 14."""
    return guideline(tmp_path)


def message(
    shop: Guideline, templates: dict[str, str], *, language: str = "nl", name: str = "Anna de Wit"
) -> str:
    return write_message(
        shop, templates, language=language, name=name, handle="anna_w", seed="A-1:thanks", platform="console"
    ).text


def test_a_follow_up_is_laid_out_like_a_reply_with_an_opt_out_line(shop: Guideline) -> None:
    thanks = shop.follow_ups.steps[0].template
    assert message(shop, thanks) == (
        "Hoi Anna,\n\nBedankt voor je bestelling!\n\nGroet,\nTeam Testshop\n\n"
        "Liever geen berichten meer? Stuur 'stop'."
    )
    assert message(shop, thanks, language="en") == (
        "Hi Anna,\n\nThanks for your order!\n\nCheers,\nTeam Testshop\n\n"
        "Rather not get these messages? Just reply 'stop'."
    )


def test_a_handle_is_not_greeted_as_a_name(shop: Guideline) -> None:
    text = message(shop, shop.follow_ups.steps[0].template, name="zaterdagzuiper")
    assert text.startswith("Hoi,\n\nBedankt voor je bestelling!")


def test_the_greeting_differs_from_the_previous_message(shop: Guideline) -> None:
    again = write_message(
        shop,
        {"nl": "Nog een vraag?"},
        language="nl",
        name="Anna",
        handle="",
        seed="A-1:thanks",
        platform="console",
        previous_opening="Hoi {{ name }},",
    )
    assert (again.opening, again.text.split("\n")[0]) == ("Hallo {{ name }},", "Hallo Anna,")


def test_an_old_whole_message_template_is_sent_as_written_with_the_opt_out_line(shop: Guideline) -> None:
    old = {"nl": "Hoi {{ name }}, bedankt voor je bestelling! {{ signature }}"}
    assert message(shop, old) == (
        "Hoi Anna, bedankt voor je bestelling! Team Testshop\n\nLiever geen berichten meer? Stuur 'stop'."
    )


def test_the_guideline_words_its_own_opt_out_line(tmp_path: Path) -> None:
    own = POLICIES.replace(
        "  opt_out_words: [stop, geen berichten meer]\n",
        "  opt_out_words: [stop, afmelden]\n  opt_out_line: {nl: \"Afmelden? Stuur 'afmelden'.\"}\n",
    )
    shop = guideline(tmp_path, own)
    assert message(shop, {"nl": "Bedankt!"}).endswith("Team Testshop\n\nAfmelden? Stuur 'afmelden'.")


PROSECCO = {"sku": "p1", "name": "Prosecco Valdobbiadene", "category": "Sparkling", "quantity": 2}
BAROLO = {"sku": "b1", "name": "Barolo 2019", "category": "red", "quantity": 1}


def test_the_tip_is_about_what_was_bought(shop: Guideline) -> None:
    tips = shop.follow_ups.steps[1]
    prosecco = step_text(tips, order_lines([PROSECCO]))
    assert prosecco is not None and prosecco.category == "sparkling"
    assert prosecco.templates["nl"] == "Tip: schenk je bubbels op 6-8 °C."
    assert prosecco.reason == "the text for sparkling: Prosecco Valdobbiadene"
    barolo = step_text(tips, order_lines([BAROLO]))
    assert barolo is not None and barolo.templates["nl"] == "Tip: laat de rode wijn een uur ademen."
    # the category most bottles are in wins; a tag counts like a category
    mixed = step_text(tips, order_lines([{**BAROLO, "quantity": 3}, PROSECCO]))
    assert mixed is not None and mixed.category == "red"
    tagged = step_text(
        tips, order_lines([{"name": "Crémant", "category": "Mousserend", "tags": ["Sparkling"]}])
    )
    assert tagged is not None and tagged.category == "sparkling"


def test_an_order_without_a_known_category_gets_no_tip_or_the_general_text(shop: Guideline) -> None:
    tips = shop.follow_ups.steps[1]
    assert step_text(tips, order_lines([{"sku": "g1", "name": "Cadeaubon"}])) is None
    assert plans.no_text_reason(tips, order_lines([{"name": "Glazen", "category": "Glassware"}])) == (
        "nothing to say about what was bought "
        "(the order has glassware; this step has texts for sparkling, red)"
    )
    general = tips.model_copy(update={"template": {"nl": "Tip: bewaar je wijn koel en donker."}})
    text = step_text(general, [OrderLine(name="Cadeaubon")])
    assert text is not None and text.templates["nl"] == "Tip: bewaar je wijn koel en donker."


def test_an_order_on_time_plans_every_step_at_its_moment(shop: Guideline) -> None:
    steps = plan(shop.follow_ups, T0, T0 + timedelta(minutes=1), order_lines([PROSECCO]))
    assert [(s.name, s.due_at - T0, s.skipped) for s in steps] == [
        ("thanks", timedelta(minutes=1), ""),
        ("tips", timedelta(days=3), ""),
        ("satisfaction", timedelta(days=14), ""),
    ]


def test_an_order_reported_five_days_late_skips_the_thanks_and_sends_the_tip_now(shop: Guideline) -> None:
    now = T0 + timedelta(days=5)
    steps = plan(shop.follow_ups, T0, now, order_lines([PROSECCO]))
    assert [(s.name, s.due_at, s.skipped) for s in steps] == [
        (
            "thanks",
            T0,
            "its moment has passed "
            "('thanks' fits up to 24 hours after the purchase, it is now 5 days after it)",
        ),
        ("tips", now, ""),
        ("satisfaction", T0 + timedelta(days=14), ""),
    ]


def test_two_late_steps_are_never_sent_on_one_day(tmp_path: Path) -> None:
    # a thank-you that fits for a week: reported after 3 days, it goes now and the tip a day later
    shop = guideline(tmp_path, POLICIES.replace("window: 1d", "window: 7d"))
    now = T0 + timedelta(days=3, hours=2)
    steps = plan(shop.follow_ups, T0, now, order_lines([BAROLO]))
    assert [(s.name, s.due_at, s.skipped) for s in steps[:2]] == [
        ("thanks", now, ""),
        ("tips", now + timedelta(days=1), ""),
    ]
    # reported after 6.5 days, the tip (up to 7 days) no longer fits a day after the thanks
    later = T0 + timedelta(days=6, hours=12)
    thanks, tips, _ = plan(shop.follow_ups, T0, later, order_lines([BAROLO]))
    assert thanks.skipped == "" and tips.skipped == (
        "it would come within 24 hours of the previous follow-up, and after that it no longer fits"
    )


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo() -> dict[str, Guideline]:
    """The demo communities as shipped."""
    return load_content(ROOT / "guidelines", ROOT / "faq").guidelines


def test_the_demo_tips_follow_what_was_bought(demo: dict[str, Guideline]) -> None:
    nl = demo["dekelder-nl"]
    tips = next(step for step in nl.follow_ups.steps if step.name == "tips")
    prosecco = step_text(tips, order_lines([PROSECCO]))
    assert prosecco is not None
    assert write_message(
        nl,
        prosecco.templates,
        language="nl",
        name="Sanne de Vries",
        handle="",
        seed="A-1",
        platform="telegram",
    ).text == (
        "Hoi Sanne,\n\n"
        "Een tip voor je bubbels: schenk ze goed koud, op 6-8 °C. Een paar uur in de koelkast is genoeg. "
        "Blijft er wat over? Met een champagnestop erop blijven de bubbels nog een dag of twee mooi.\n\n"
        "Groet,\nTeam Wijnhuis De Kelder\n\nLiever geen berichten meer? Stuur 'stop'."
    )
    barolo = step_text(tips, order_lines([BAROLO]))
    assert barolo is not None and "Barolo" in barolo.templates["en"] and "16-18 °C" in barolo.templates["nl"]
    en_tips = next(step for step in demo["dekelder-en"].follow_ups.steps if step.name == "tips")
    assert step_text(en_tips, order_lines([GIFT])) is None


GIFT = {"sku": "gc", "name": "Cadeaubon"}


def test_every_demo_reminder_and_follow_up_reads_like_a_reply(demo: dict[str, Guideline]) -> None:
    for community in demo.values():
        texts = [community.reminders.template] + [
            t for step in community.follow_ups.steps for t in (step.template, *step.by_category.values()) if t
        ]
        for language in community.languages:
            tone = community.tone[language]
            for templates in texts:
                text = write_message(
                    community, templates, language=language, name="", handle="", seed="s", platform="telegram"
                ).text
                greeting, body, closing, stop = text.split("\n\n")
                assert greeting.endswith(",") and "{" not in greeting  # "Hoi," without a name
                assert body == templates[language] and "{{" not in body
                signoff, signature = closing.split("\n")
                assert signoff in tone.signoffs and signature == "Team Wijnhuis De Kelder"
                assert stop in (
                    "Liever geen berichten meer? Stuur 'stop'.",
                    "Rather not get these messages? Just reply 'stop'.",
                )
