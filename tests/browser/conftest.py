"""Fixtures for the reader-side checks in headless Chromium (run by `nox -s browser`).

The site under test is BLOGCODE_SITE_DIR (default: <repo>/site), served by ``http.server`` on a
free port of 127.0.0.1. One Chromium (Debian's, /usr/bin/chromium, or BLOGCODE_CHROMIUM) is
launched per run and shared; each test opens its own context. Without Playwright (the plain
`nox -s tests` session) every module here skips; with BLOGCODE_BROWSER=1 (set by `nox -s browser`)
a missing site or Chromium is an error instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from .sitepages import ARTIFACTS, REQUIRED, SITE_DIR, STATS, SiteServer, human, page_urls


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    explicit = os.environ.get("BLOGCODE_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def pytest_generate_tests(metafunc):
    """``page_url``: every page of the built site (or one placeholder that skips)."""
    if "page_url" in metafunc.fixturenames:
        urls = page_urls(SITE_DIR) if (SITE_DIR / "index.html").exists() else []
        metafunc.parametrize("page_url", urls or ["(no site)"])


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE_DIR / "index.html").exists():
        _unavailable(
            f"no built site in {SITE_DIR} (run `nox -s browser`, or set BLOGCODE_SITE_DIR)"
        )
    return SITE_DIR


@pytest.fixture(scope="session")
def server(site_dir):
    with SiteServer(site_dir) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from .probe import CHROMIUM_ARGS

    exe = chromium_path()
    if exe is None:
        _unavailable("Chromium not found (apt-get install chromium, or set BLOGCODE_CHROMIUM)")
    STATS.used = True
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def reader(browser, server):
    """A fresh light-mode desktop tab; closed after the test."""
    from .probe import Reader

    r = Reader(browser, server.base)
    yield r
    r.close()


@pytest.fixture(scope="session")
def page_reports(browser, server):
    """url -> PageReport: each page is loaded once, on first use, in one shared tab."""
    from .probe import Reader, inspect_page

    reader = Reader(browser, server.base)
    cache: dict = {}

    def get(url: str):
        if url not in cache:
            cache[url] = inspect_page(reader, url)
        return cache[url]

    yield get
    reader.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    out = ARTIFACTS / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


_T0 = time.monotonic()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not STATS.used:
        return
    w = terminalreporter.write_line
    terminalreporter.section("reader checks in Chromium")
    w(f"pages loaded: {STATS.page_loads} loads of {len(STATS.urls)} distinct pages; "
      f"requests: {STATS.requests}; requests blocked (not 127.0.0.1): {len(STATS.blocked)}")
    for page, url in STATS.blocked[:20]:
        w(f"  blocked on {page}: {url}")
    w(f"console/network errors: {len(STATS.console_errors)}")
    for page, text in STATS.console_errors[:20]:
        w(f"  {page}: {text[:200]}")
    w(f"equation numbers rendered: {STATS.equations}; \\eqref links clicked: {STATS.eqref_clicks}; "
      f"figures checked: {STATS.figures} "
      f"({STATS.figures_behind_tab} shown only after clicking a 结果 tab)")
    if STATS.searches:
        ok = sum(1 for *_, good in STATS.searches if good)
        w(f"searches: {ok}/{len(STATS.searches)} found their posts: "
          + ", ".join(f"{q} ({n})" for q, n, _ in STATS.searches))
    if STATS.search_ranks:
        ranks = [r for _, rs in STATS.search_ranks for r in rs]
        top = sum(1 for r in ranks if r <= 10)
        worst = sorted(STATS.search_ranks, key=lambda qr: -max(qr[1] or [0]))[:5]
        w(f"search ranks: {top}/{len(ranks)} expected posts in the first ten results; "
          "lowest: " + ", ".join(f"{q} {rs}" for q, rs in worst))
    if STATS.axe:
        all_v = [v for vs in STATS.axe.values() for v in vs]
        bad = [v for v in all_v if v.get("impact") in ("serious", "critical")]
        w(f"axe-core: {len(STATS.axe)} pages, {len(all_v)} violations "
          f"({len(bad)} serious/critical)")
        for url, vs in STATS.axe.items():
            for v in vs:
                nodes = "; ".join(" ".join(n["target"]) if isinstance(n["target"], list)
                                  else str(n["target"])
                                  for n in v["nodes"][:3])
                w(f"  {url} [{v.get('impact')}] {v['id']}: "
                  f"{len(v['nodes'])} node(s): {nodes[:240]}")
    if STATS.weight:
        wt = STATS.weight
        w(f"page weight of a typical post {wt['url']} (transferred, uncompressed server; "
          f"gzip estimate in brackets):")
        for kind, row in wt["by_type"].items():
            w(f"  {kind:<10} {row['count']:>3} files  "
              f"{human(row['bytes']):>10}  [{human(row['gzip'])}]")
        w(f"  {'total':<10} {wt['count']:>3} files  "
          f"{human(wt['bytes']):>10}  [{human(wt['gzip'])}]")
    for shot in STATS.screenshots:
        w(f"screenshot: {shot}")
    w(f"browser checks took {time.monotonic() - _T0:.0f} s")
