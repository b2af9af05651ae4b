"""Every page of the built site, loaded once in Chromium: what a reader sees on it."""

from __future__ import annotations

import re

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: run `nox -s browser`"
)

from .probe import MOBILE_WIDTH, OVERFLOW_TOLERANCE  # noqa: E402
from .sitepages import page_info  # noqa: E402


def _same_label(element_id: str, label: str) -> bool:
    """MathJax's id for \\label{x} is "mjx-eqn:x" by default; the site may sanitise it."""
    norm = lambda t: re.sub(r"[^A-Za-z0-9]+", "-", t)  # noqa: E731
    return element_id == f"mjx-eqn:{label}" or norm(element_id).endswith(norm(label))


def test_no_console_errors(page_reports, page_url):
    report = page_reports(page_url)
    assert not report.errors, f"{page_url}: console/network errors:\n" + "\n".join(report.errors)


def test_only_local_requests(page_reports, page_url):
    report = page_reports(page_url)
    assert not report.blocked, (
        f"{page_url} requested other hosts (blocked):\n" + "\n".join(report.blocked)
    )


def test_math_rendered(page_reports, page_url):
    report, info = page_reports(page_url), page_info(page_url)
    problems = []
    if report.unrendered:
        problems.append(f"{report.unrendered} of {report.arith} .arithmatex blocks left as raw TeX")
    if report.error_nodes or report.merror:
        problems.append(f"{report.error_nodes} MathJax error nodes: {report.merror[:3]}")
    if report.undefined:
        problems.append(f"undefined macros drawn in red: {sorted(set(report.undefined))}")
    if report.unresolved_refs:
        problems.append(f"{report.unresolved_refs} unresolved \\eqref shown as (???)")
    if report.raw_tex:
        problems.append(f"TeX delimiters left in the text: {report.raw_tex[:3]}")
    if len(report.tags) < info.numbered:
        problems.append(f"{len(report.tags)} equation numbers rendered, "
                        f"the page has {info.numbered} "
                        "numbered environments")
    numeric = [int(t) for t in report.tags if t.isdigit()]
    if numeric != list(range(1, len(numeric) + 1)):
        problems.append(f"equation numbers are not 1, 2, 3, ...: {report.tags}")
    missing = [lab for lab in info.labels if not any(_same_label(i, lab) for i in report.ids)]
    if missing:
        problems.append(f"\\label without a rendered anchor: {missing}")
    dangling = [r["href"] for r in report.refs if not r["target"]]
    if dangling:
        problems.append(f"\\eqref links to equations not on the page: {dangling}")
    assert not problems, f"{page_url}:\n" + "\n".join(problems)


def test_eqref_links_jump(page_reports, page_url):
    report = page_reports(page_url)
    if not report.refs:
        pytest.skip("no \\eqref on this page")
    assert report.eqref_clicked, "eqref links found but none clicked"
    assert not report.eqref_jumps, f"{page_url}:\n" + "\n".join(report.eqref_jumps)


def test_figures(page_reports, page_url):
    report, info = page_reports(page_url), page_info(page_url)
    assert len(report.figures) == info.figures
    problems = []
    for fig in report.figures:
        where = f"figure {fig['index'] + 1} ({fig['caption'][:30]}…)"
        if fig["hidden"] or fig["mediaWidth"] < 50 or fig["mediaHeight"] < 50:
            problems.append(f"{where} is not visible: {fig}")
        if not fig["img_name"].strip():
            problems.append(f"{where}: its image has no accessible name (svg <title> / img alt)")
        if not fig["caption"]:
            problems.append(f"{where} has no figcaption text")
    assert not problems, f"{page_url}:\n" + "\n".join(problems)


def test_no_horizontal_overflow_on_phone(page_reports, page_url):
    report = page_reports(page_url)
    limit = MOBILE_WIDTH + OVERFLOW_TOLERANCE
    assert report.scroll_width <= limit and not report.overflow, (
        f"{page_url} at {MOBILE_WIDTH} px: page is {report.scroll_width} px wide; "
        "elements sticking out "
        f"(outside code/math/table scrollers):\n" + "\n".join(report.overflow)
    )
