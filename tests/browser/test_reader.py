"""Light/dark toggle and instant navigation, done by clicking like a reader."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: run `nox -s browser`"
)

from .probe import PageReport, click_eqrefs, figures_report, math_report, wait_for_math  # noqa: E402
from .sitepages import STATS, posts  # noqa: E402

SCHEME_JS = """() => {
  const key = Object.keys(localStorage).find(k => k.endsWith('__palette'));
  const bg = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number);
  return {scheme: document.body.getAttribute('data-md-color-scheme'),
          stored: key ? localStorage.getItem(key) : null,
          luminance: (0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2]) / 255};
}"""


def toggle_palette(page) -> None:
    page.locator("form[data-md-component=palette] label:not([hidden])").click()


def test_palette_toggle_persists(reader):
    page = reader.goto("/")
    light = page.evaluate(SCHEME_JS)
    assert light["scheme"] == "default" and light["luminance"] > 0.8, light

    toggle_palette(page)
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
    dark = page.evaluate(SCHEME_JS)
    assert dark["luminance"] < 0.3, f"dark scheme but background is light: {dark}"
    stored = json.loads(dark["stored"] or "null")
    assert stored and stored["color"]["scheme"] == "slate", (
        f"palette not stored in localStorage: {dark}"
    )

    page.reload(wait_until="load")
    STATS.page_loads += 1
    wait_for_math(page)
    assert page.evaluate(SCHEME_JS)["scheme"] == "slate", "dark mode lost on reload"

    post = posts()[0] if posts() else "/"
    reader.goto(post)
    assert page.evaluate(SCHEME_JS)["scheme"] == "slate", f"dark mode lost when opening {post}"

    toggle_palette(page)
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'default'")
    page.reload(wait_until="load")
    STATS.page_loads += 1
    wait_for_math(page)
    back = page.evaluate(SCHEME_JS)
    assert back["scheme"] == "default" and back["luminance"] > 0.8, back
    assert not reader.errors, reader.errors


def _check_after_instant(reader, page_reports, path: str) -> None:
    page = reader.page
    page.wait_for_url(lambda u: urlsplit(u).path == path)
    wait_for_math(page)
    assert page.evaluate("() => window.__bcNoReload === true"), (
        f"opening {path} reloaded the page: navigation.instant did not handle the click"
    )
    now = PageReport(url=path, errors=[], blocked=[])
    math_report(page, now)
    figures_report(page, now)
    click_eqrefs(page, now)
    direct = page_reports(path)
    problems = []
    if now.unrendered or now.error_nodes or now.merror or now.undefined or now.unresolved_refs:
        problems.append(f"math broken after instant navigation: "
                        f"{now.unrendered} raw, {now.merror[:2]}, "
                        f"{now.undefined[:3]}, {now.unresolved_refs} (???)")
    if now.tags != direct.tags:
        problems.append(
            f"equation numbers {now.tags[:8]}… differ from a direct load {direct.tags[:8]}…"
        )
    for fig in now.figures:
        if fig["mediaWidth"] < 50 or fig["mediaHeight"] < 50 or not fig["img_name"]:
            problems.append(f"figure {fig['index'] + 1} not shown properly: {fig}")
    problems += now.eqref_jumps
    assert not problems, f"{path}:\n" + "\n".join(problems)


def test_instant_navigation_keeps_math_and_figures(reader, page_reports):
    page = reader.goto("/")
    page.evaluate("() => { window.__bcNoReload = true; }")
    link = page.locator("article.md-post h2 a[href]").first
    target = urlsplit(link.evaluate("a => a.href")).path
    link.click()
    STATS.page_loads += 1
    _check_after_instant(reader, page_reports, target)

    # A second hop, from the post to another post it links to (series navigation, related
    # links), must reset equation numbering again.
    hop = page.evaluate(
        """([here, posts]) => {
          const links = [...document.querySelectorAll('.md-content a[href]')];
          return links.findIndex(a => {
            const u = new URL(a.href, location.href);
            return u.origin === location.origin && !u.hash && u.pathname !== here &&
                   posts.includes(u.pathname) && a.checkVisibility();
          });
        }""",
        [target, posts()],
    )
    if hop >= 0:
        link = page.locator(".md-content a[href]").nth(hop)
        second = urlsplit(link.evaluate("a => a.href")).path
        link.click()
        STATS.page_loads += 1
        _check_after_instant(reader, page_reports, second)
    assert not reader.errors, reader.errors
    assert not reader.blocked, reader.blocked
