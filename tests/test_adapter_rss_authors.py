"""Feed authors become the right customers and are greeted by name only when there is one."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.rss import parse_feed

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FEED = "https://forum.example/feed"


def _authors(xml: str) -> list[tuple[str, str]]:
    return [(m.author.id, m.author.name) for m in parse_feed(FEED, xml.encode(), now=NOW)]


def test_an_rss_author_with_an_address_gives_the_name_in_brackets() -> None:
    xml = (
        "<rss><channel><title>Forum De Kelder</title><item><guid>1</guid><title>Vraag</title>"
        "<author>joris@example.nl (Joris Jansen)</author></item></channel></rss>"
    )
    assert _authors(xml) == [("joris@example.nl", "Joris Jansen")]


def test_entries_without_an_author_are_each_their_own_nameless_writer() -> None:
    xml = (
        "<rss><channel><title>Forum De Kelder</title>"
        "<item><guid>1</guid><title>Eerste</title></item>"
        "<item><guid>2</guid><title>Tweede</title></item></channel></rss>"
    )
    authors = _authors(xml)
    assert [name for _, name in authors] == ["", ""]  # never the feed's title
    assert len({identity for identity, _ in authors}) == 2  # never one shared "unknown" customer


def test_an_atom_author_name_is_kept() -> None:
    xml = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Forum</title><entry><id>tag:1</id>'
        "<title>Hoi</title><author><name>Erik Willemsen</name></author></entry></feed>"
    )
    assert _authors(xml) == [("Erik Willemsen", "Erik Willemsen")]


def test_authors_longer_than_the_column_stay_two_customers() -> None:
    long = "x" * 130
    xml = (
        "<rss><channel><title>Forum</title>"
        f"<item><guid>1</guid><title>Een</title><author>{long}a</author></item>"
        f"<item><guid>2</guid><title>Twee</title><author>{long}b</author></item></channel></rss>"
    )
    identities = [identity for identity, _ in _authors(xml)]
    assert len(set(identities)) == 2  # cut to 128 characters, both would be one customer
    assert all(len(identity) <= 128 for identity in identities)
