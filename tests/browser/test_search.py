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
    STATS.searches.append((query, len(found), ok))
    assert ok, f"search {query!r}: shown {meta!r}: {found}; expected {need}"
    assert not search_tab.errors, search_tab.errors
