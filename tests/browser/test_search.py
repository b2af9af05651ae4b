"""Chinese full-text search, typed into Material's search box like a reader would."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: run `nox -s browser`"
)

from .sitepages import SITE_DIR, STATS, search_queries  # noqa: E402


def run_query(page, query: str, timeout: float = 15.0) -> tuple[str, list[str]]:
    """Type ``query`` and wait until the result list stops changing; (meta text, result paths)."""
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    # Material reads the query on keyup; an IME commits Chinese text the same way.
    box.press("End")
    deadline, last, stable = time.monotonic() + timeout, None, 0
    while time.monotonic() < deadline:
        page.wait_for_timeout(150)
        state = page.evaluate(
            """() => [document.querySelector('.md-search-result__meta')?.textContent.trim() || '',
                      [...document.querySelectorAll('.md-search-result__item > a')]
                        .map(a => a.href)]"""
        )
        has_count = any(ch.isdigit() for ch in state[0]) or "没有" in state[0]
        stable = stable + 1 if state == last and has_count else 0
        last = state
        if stable >= 3:
            break
    meta, hrefs = last
    # Material shows ten results and renders more as the list is scrolled: scroll to the end
    # so that every result counts (a reader can scroll too; the ranks are reported apart).
    for _ in range(20):
        grew = page.evaluate(
            """async () => {
                 const wrap = document.querySelector('.md-search__scrollwrap');
                 const n = document.querySelectorAll('.md-search-result__item').length;
                 if (!wrap) return false;
                 wrap.scrollTop = wrap.scrollHeight;
                 await new Promise(r => setTimeout(r, 200));
                 return document.querySelectorAll('.md-search-result__item').length > n;
               }"""
        )
        if not grew:
            break
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('.md-search-result__item > a')].map(a => a.href)"
    )
    pages = list(dict.fromkeys(urlsplit(h).path for h in hrefs))
    page.keyboard.press("Escape")
    return meta, pages


QUERIES = search_queries() if (SITE_DIR / "search" / "search_index.json").exists() else []


@pytest.fixture(scope="module")
def search_tab(browser, server):
    """The home page in one tab; every query is typed into its search box in turn."""
    from .probe import Reader

    reader = Reader(browser, server.base)
    reader.goto("/")
    yield reader
    reader.close()


def test_queries_derived_from_posts():
    if not QUERIES:
        pytest.skip("no built site with a search index")
    assert len(QUERIES) >= 2, QUERIES


@pytest.mark.parametrize(
    "query,holders", QUERIES or [("(none)", [])], ids=[q for q, _ in QUERIES] or ["none"]
)
def test_search_finds_posts(search_tab, query, holders):
    if not holders:
        pytest.skip("no query")
    meta, found = run_query(search_tab.page, query)
    posts_found = [p for p in found if p in holders]
    if len(holders) <= 5:
        ok = set(holders) <= set(found)
        need = f"all of {holders}"
    else:
        ok = len(posts_found) >= 3
        need = f"at least 3 of the {len(holders)} posts containing it"
    # Recall is asserted over the whole result list; where the posts rank is reported.
    ranks = sorted(found.index(p) + 1 for p in posts_found)
    STATS.searches.append((query, len(found), ok))
    STATS.search_ranks.append((query, ranks))
    assert ok, f"search {query!r}: shown {meta!r}: {found}; expected {need}"
    assert not search_tab.errors, search_tab.errors


def test_index_is_fetched_only_when_search_opens(browser, server):
    """A reader who never searches never downloads the index; opening the search fetches it
    once, and queries then work."""
    from .probe import Reader

    reader = Reader(browser, server.base)
    seen: list[str] = []
    reader.page.on("request", lambda r: seen.append(urlsplit(r.url).path))
    try:
        reader.goto("/")
        post = QUERIES[0][1][0] if QUERIES else "/"
        reader.page.goto(server.url(post), wait_until="load")
        reader.page.wait_for_timeout(1500)  # time enough for an eager fetch to have started
        index = [p for p in seen if p.endswith("/search/search_index.json")]
        assert index == [], f"the search index was fetched before the search was opened: {index}"
        if QUERIES:
            query, holders = QUERIES[0]
            _meta, found = run_query(reader.page, query)
            assert set(holders[:1]) <= set(found), (query, found)
        index = [p for p in seen if p.endswith("/search/search_index.json")]
        assert len(index) == 1, index
        assert not reader.errors, reader.errors
    finally:
        reader.close()
