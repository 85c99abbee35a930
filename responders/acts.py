"""What the customer is doing with a message: one act, the most serious one first."""

from __future__ import annotations

from collections.abc import Iterable

from responders.domain import Act, ReplyTo
from responders.text import normalize

# a statement this negative is a bad experience even without a complaint word
BAD_EXPERIENCE_BELOW = -0.3
# a question this negative is a complaint in question form ("why is your service so awful?")
ANGRY_QUESTION_BELOW = -0.6
# signals that name an act of their own, in order of seriousness
_SERIOUS: tuple[Act, ...] = ("spam", "legal_threat", "health_safety", "press", "churn_threat")


# second-person words: together with the brand's name they turn a remark about the brand into one to it
_YOU = frozenset({"jullie", "julie", "u", "uw", "you", "your", "yours"})


def names_brand(text: str, brand_names: Iterable[str]) -> bool:
    """Whether the message names the brand, as customers spell it ("De Kelder", "dekelder")."""
    plain = normalize(text)
    squeezed = plain.replace(" ", "")
    for name in brand_names:
        name = normalize(name).strip()
        if name and (name in plain or name.replace(" ", "") in squeezed):
            return True
    return False


def addresses_brand(text: str, tokens: list[str], brand_names: Iterable[str]) -> bool:
    """Whether the message speaks to the brand: names it and says "jullie" / "you"."""
    return bool(_YOU.intersection(tokens)) and names_brand(text, brand_names)


def is_bad_experience(signals: frozenset[str], sentiment: float) -> bool:
    """A complaint: a complaint phrase, swearing, or a clearly negative message.

    Not when the customer thanks us for a problem solved, or the slip was their own.
    """
    if "praise" in signals and "resolved" in signals:
        return False
    if "own_mistake" in signals and "profanity" not in signals:
        return False
    if signals & {"complaint", "profanity"}:
        return True
    if "competitor" in signals:
        return False  # "their delivery fees are killing me" is about the competitor, not us
    if "question" in signals:
        return sentiment <= ANGRY_QUESTION_BELOW
    return sentiment <= BAD_EXPERIENCE_BELOW


def classify(
    signals: frozenset[str], sentiment: float, *, reply_to: ReplyTo = "", to_brand: bool = False
) -> Act:
    """Name the act of a message from its signals, its sentiment and whom it answers."""
    for act in _SERIOUS:
        if act in signals:
            return act
    # a reply to another member is their conversation, even when it commiserates ("balen joh!")
    if reply_to == "member" and not to_brand:
        return "conversation"
    if is_bad_experience(signals, sentiment):
        return "complaint"
    # members asking each other around are having their own conversation too
    if "asks_community" in signals and reply_to != "brand" and not to_brand:
        return "conversation"
    if "competitor" in signals:
        return "competitor"
    if "question" in signals:
        return "question"
    if "praise" in signals and ("resolved" in signals or sentiment >= 0):
        return "thanks"
    return "statement"
