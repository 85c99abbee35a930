"""The queue's search: substring, any case, literal % and _, in mention and draft text, index-backed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, col

from alembic import command
from bot import migrations, search
from bot.models import Draft, Mention
from bot.services import Services
from tests.conftest import add_user
from tests.test_web import sign_in
from tests.test_web_queue import _ids, post_mention


def _search(client: TestClient, q: str) -> list[int]:
    return sorted(_ids(client.get("/queue", params={"q": q}).text))


def _set_draft_text(services: Services, draft_id: int, new_text: str) -> None:
    with Session(services.engine) as session:  # a Core UPDATE, as the edit paths write it
        session.execute(update(Draft).where(col(Draft.id) == draft_id).values(text=new_text))
        session.commit()


@pytest.fixture
def three(client: TestClient, services: Services) -> dict[str, int]:
    """Three pending mentions (posted through the API after the migration), signed in."""
    add_user(services)
    ids = {
        "wine": post_mention(client, "m-1", "Is de Wijnvoordeelbox er nog?", author_id="u-1"),
        "percent": post_mention(client, "m-2", "Krijg ik 100% korting op order_42?", author_id="u-2"),
        "plain": post_mention(client, "m-3", "Waar blijft mijn pakket?", author_id="u-3"),
    }
    sign_in(client)
    return ids


# every way a search runs: an id list from the index, the index read inside the query (SQLite,
# words of middling frequency), and the scan for common words
@pytest.fixture(params=["index", "subquery", "scan"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """'subquery' makes every word too common for an id list; 'scan' too common for the index."""
    if request.param in ("subquery", "scan"):
        monkeypatch.setattr(search, "CANDIDATE_CAP", 0)
    if request.param == "scan":
        monkeypatch.setattr(search, "SUBQUERY_CAP", 0)
    return str(request.param)


def test_search_finds_a_word_inside_a_word_ignoring_case(
    client: TestClient, three: dict[str, int], way: str
) -> None:
    assert _search(client, "VOORDEEL") == [three["wine"]]
    assert _search(client, "ijnvoo") == [three["wine"]]
    assert _search(client, "PAKket") == [three["plain"]]


def test_percent_and_underscore_are_literal(client: TestClient, three: dict[str, int], way: str) -> None:
    assert _search(client, "100%") == [three["percent"]]
    assert _search(client, "order_4") == [three["percent"]]
    assert _search(client, "r_4") == [three["percent"]]
    assert _search(client, "de%box") == []  # not a wildcard
    assert _search(client, "order_x") == []
    assert _search(client, 'kort"ing') == []  # a quote is not FTS5 syntax either


def test_a_search_shorter_than_three_characters_shows_the_queue_with_a_hint(
    client: TestClient, three: dict[str, int]
) -> None:
    page = client.get("/queue", params={"q": "zz"}).text
    assert sorted(_ids(page)) == sorted(three.values())
    assert "Type at least 3 characters to search" in page
    assert 'value="zz"' in page, "what the agent typed stays in the box"
    assert "Type at least 3" not in client.get("/queue", params={"q": "zzz"}).text


def test_search_finds_the_draft_text(
    client: TestClient, services: Services, three: dict[str, int], way: str
) -> None:
    _set_draft_text(services, three["plain"], "Je pakket gaat vandaag met PostNL-Express mee.")
    assert _search(client, "postnl-exp") == [three["plain"]]
    _set_draft_text(services, three["plain"], "Je pakket komt morgen.")  # the index follows edits
    assert _search(client, "postnl-exp") == []


def test_a_word_that_matches_nothing_gives_an_empty_page(
    client: TestClient, three: dict[str, int], way: str
) -> None:
    page = client.get("/queue", params={"q": "zzzz-nothing"}).text
    assert _ids(page) == [] and "Nothing to review with these filters" in page


def test_a_rare_word_is_looked_up_in_the_index(
    session: Session, client: TestClient, three: dict[str, int]
) -> None:
    # the index path answers (None would mean the scan) and agrees with the scan
    assert search.candidate_draft_ids(session, "voordeel") == [three["wine"]]
    assert search.candidate_draft_ids(session, "zzzz-nothing") == []


def test_the_search_is_served_from_an_index(session: Session, db_url: str) -> None:
    if db_url.startswith("sqlite"):
        for table in ("search_draft", "search_mention"):
            explain = text(f"EXPLAIN QUERY PLAN SELECT rowid FROM {table} WHERE {table} MATCH :q")  # noqa: S608
            plan = " ".join(str(row[-1]) for row in session.execute(explain, {"q": '"100%_x"'}))
            assert "VIRTUAL TABLE INDEX" in plan and table in plan, plan
        return
    session.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: make the index win
    for table in ("draft", "mention"):
        # the statement the queue sends: a bound pattern with an ESCAPE clause
        explain = text(f"EXPLAIN SELECT id FROM {table} WHERE text ILIKE :p ESCAPE '\\'")  # noqa: S608
        plan = "\n".join(session.execute(explain, {"p": search.like_pattern("100%_x")}).scalars())
        assert f"ix_{table}_text_trgm" in plan, plan
        # and the planner keeps enough sample texts to estimate how common a search word is
        target = text(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = CAST(:t AS regclass) AND attname = 'text'"
        )
        assert session.execute(target, {"t": table}).scalar_one() == 1000


def test_the_migration_indexes_the_rows_already_there(
    client: TestClient, services: Services, db_url: str
) -> None:
    add_user(services)
    config = migrations.alembic_config(db_url)
    # today's code writes today's columns: store the row first, then take the schema back to
    # before the search index (0002) and forward again, so 0002 meets a row that is already there
    before = post_mention(client, "m-old", "Een mention van voor de zoekindex", author_id="u-9")
    command.downgrade(config, "0001")
    command.upgrade(config, "head")
    after = post_mention(client, "m-new", "Een mention van na de zoekindex", author_id="u-8")
    sign_in(client)
    assert _search(client, "zoekindex") == sorted([before, after])
    assert _search(client, "van voor") == [before]
    with Session(services.engine) as session:
        assert search.candidate_draft_ids(session, "van voor") == [before]  # from the index


def test_a_middling_word_is_read_from_the_index_inside_the_query(
    session: Session, client: TestClient, three: dict[str, int], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db_url.startswith("sqlite"):
        session.execute(text("ANALYZE"))  # PostgreSQL estimates how common a word is from its statistics
    monkeypatch.setattr(search, "CANDIDATE_CAP", 0)  # "voordeel" is now too common for an id list
    sql = str(search.search_clause(session, "voordeel").compile(session.get_bind()))
    if db_url.startswith("sqlite"):
        assert "search_mention MATCH" in sql and "search_draft MATCH" in sql, sql
    else:  # subqueries PostgreSQL answers from the trigram indexes
        assert sql.count("IN (SELECT") == 2 and sql.upper().count("ILIKE") == 2, sql
    monkeypatch.setattr(search, "SUBQUERY_CAP", 0)  # and now too common for that: the walk
    walk = str(search.search_clause(session, "voordeel").compile(session.get_bind()))
    assert "IN (SELECT" not in walk and "MATCH" not in walk, walk


def test_a_rare_word_next_to_a_common_one_finds_the_whole_phrase(
    session: Session, client: TestClient, services: Services, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL reads such a search by its rare word alone and checks the phrase on what it finds
    add_user(services)
    for i in range(12):
        post_mention(client, f"c-{i}", f"Mijn bestelling nummer {i} is er nog niet", author_id=f"u-{i}")
    wanted = post_mention(client, "r-1", "Waar is BESTELLING 48213?", author_id="u-20")
    post_mention(client, "r-2", "48213 is mijn postcode, geen bestelling", author_id="u-21")  # not the phrase
    monkeypatch.setattr(search, "RARE_WORD", 3)  # "48213": rare; "bestelling": common
    monkeypatch.setattr(search, "SUBQUERY_CAP", 8)
    if not db_url.startswith("sqlite"):
        # exact counts for the planner's estimates, which a table of 14 rows cannot give
        def count(session: Session, table: str, q: str) -> int:
            query = text(f"SELECT count(*) FROM {table} WHERE text ILIKE :p ESCAPE '\\'")  # noqa: S608
            return int(session.execute(query, {"p": search.like_pattern(q)}).scalar_one())

        monkeypatch.setattr(search, "_trgm_estimate", count)
        sql = str(search._trgm_lookup(session, Mention, "bestelling 48213").compile(session.get_bind()))
        assert "strpos" in sql and sql.upper().count("ILIKE") == 1, sql
    sign_in(client)
    assert _search(client, "bestelling 48213") == [wanted]
    assert _search(client, "Bestelling 4821") == [wanted]


def test_how_common_a_search_is_comes_from_the_database_s_own_statistics(
    session: Session, client: TestClient, services: Services, db_url: str
) -> None:
    # what chooses between an id list, the index inside the query and the walk
    add_user(services)
    for i in range(12):
        post_mention(client, f"l-{i}", f"Ik mis het RETOURLABEL van order {i}", author_id=f"u-{i}")
    for i in range(8):
        post_mention(client, f"o-{i}", f"Waar blijft pakket {i}?", author_id=f"v-{i}")
    if db_url.startswith("sqlite"):  # SQLite counts in the FTS5 index, up to a cap
        assert search._fts_count(session, "mention", "retourlabel", 100) == 12
        assert search._fts_count(session, "mention", "retourlabel", 5) == 6  # stops past the cap
        assert search._fts_count(session, "mention", "zzz", 100) == 0
        return
    session.execute(text("ANALYZE mention"))  # twenty distinct texts: the sample holds them all
    assert search._trgm_estimate(session, "mention", "Retourlabel") == 12
    assert search._trgm_estimate(session, "mention", "pakket") == 8
    assert search._trgm_estimate(session, "mention", "zzz") == 0
    for i in range(20):  # the sample is read once and kept: new rows show after the next read
        post_mention(client, f"n-{i}", f"Nog een retourlabel {i}", author_id=f"w-{i}")
    session.execute(text("ANALYZE mention"))
    assert search._trgm_estimate(session, "mention", "retourlabel") == 12
    search._samples.clear()
    assert search._trgm_estimate(session, "mention", "retourlabel") == 32
