"""How often the demo content drafts an FAQ answer to a message it has no answer for.

    .venv/bin/python bench/off_topic.py [--data ../shared/data] [--encoder use|""] [--show 5]
    .venv/bin/python bench/off_topic.py --smoke     # ten messages a set: seconds (the tests)

A wine shop's FAQ answers none of these: assistant requests (xSID nl and en, HWU64 valid: weather,
alarms, music), CLINC150's out-of-scope queries, and the customers' own tweets to other brands
(Customer Support on Twitter, inbound). Each message goes through the engine (`respond`) for the
demo community of its language, as the service drafts it; a draft with an FAQ answer (action
`reply`, not the thank-you) is a wrong answer an agent has to catch. A few rows are on topic by
accident ("when is my order arriving"): the share is an upper bound. Prints one JSON line a set.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from responders import multilingual  # noqa: E402
from responders.content import load_content  # noqa: E402
from responders.domain import Author, Context, Mention  # noqa: E402
from responders.engine import Community, respond  # noqa: E402
from responders.faq import FaqIndex  # noqa: E402

# a Thursday morning: business hours, so no answer waits for them
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _texts(path: Path, keep: str = "", value: str = "") -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [r["text"] for r in csv.DictReader(handle) if not keep or (r.get(keep) or "") == value]


def off_topic_sets(data: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (language, messages the demo FAQ has no answer for)."""
    return {
        "xsid-nl": ("nl", _texts(data / "xsid/nl.valid.csv")),
        "xsid-en": ("en", _texts(data / "xsid/en.valid.csv")),
        "hwu64": ("en", _texts(data / "hwu64/valid.csv")),
        "clinc150-oos": ("en", _texts(data / "clinc150/val.csv", keep="intent", value="")),
        "twcs": ("en", _texts(data / "twcs/sample.csv", keep="inbound", value="True")),
    }


def answered(community: Community, texts: list[str]) -> list[tuple[str, str]]:
    """(FAQ entry, message) for every message drafted with an FAQ answer."""
    found = []
    for number, text in enumerate(texts):
        mention = Mention("telegram", "bench", f"m-{number}", Author(str(number), "customer"), text, NOW)
        response = respond(mention, Context(now=NOW), community)
        if response.decision.action == "reply" and response.analysis.act != "thanks" and response.candidates:
            found.append((response.candidates[0].faq_id, text))
    return found


def main() -> None:
    """Parse the arguments and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--encoder", default="use", choices=["use", ""], help='"" for words only')
    parser.add_argument("--show", type=int, default=0, help="print this many answered messages a set")
    parser.add_argument("--smoke", action="store_true", help="ten messages a set: seconds")
    args = parser.parse_args()
    content = load_content(ROOT / "guidelines", ROOT / "faq")
    index = FaqIndex(content.faq, multilingual.shared() if args.encoder else None)
    communities = {g.default_language: Community(g, index) for g in content.guidelines.values()}
    for name, (language, texts) in off_topic_sets(args.data).items():
        texts = texts[:10] if args.smoke else texts
        found = answered(communities[language], texts)
        entries = Counter(entry for entry, _ in found)
        summary = {
            "set": name,
            "encoder": args.encoder or None,
            "messages": len(texts),
            "faq_answers": len(found),
            "share": round(len(found) / len(texts), 4) if texts else 0.0,
            "most_used": entries.most_common(3),
        }
        print(json.dumps(summary), flush=True)
        for entry, text in found[: args.show]:
            print(f"  {entry}: {text}")


if __name__ == "__main__":
    main()
