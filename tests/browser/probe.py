"""Driving one page in Chromium: load it like a reader, and look at what they would see.

``Reader`` wraps a Playwright browser context whose every request to a host other than
127.0.0.1 is aborted and recorded, and which records console errors, uncaught exceptions and
failed or 4xx/5xx requests per page. ``inspect_page`` loads a page once and returns a
``PageReport`` with everything the per-page tests assert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .sitepages import STATS

if TYPE_CHECKING:  # Playwright is only imported by the tests that run it
    from playwright.sync_api import Browser, BrowserContext, Page, Route

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE_WIDTH = 375
OVERFLOW_TOLERANCE = 1  # px: sub-pixel rounding
ALLOWED_HOSTS = {"127.0.0.1"}


class Reader:
    """A browser context as a reader's tab: local requests only, errors recorded per page."""

    def __init__(self, browser: Browser, base: str, **context_options):
        options = {
            "viewport": DESKTOP, "locale": "zh-CN", "color_scheme": "light", **context_options
        }
        self.base = base
        self.context: BrowserContext = browser.new_context(**options)
        self.context.route("**/*", self._route)
        self.current = "(none)"
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.context.on("page", self._watch)
        self.page: Page = self.context.new_page()

    # -- network and console -------------------------------------------------------------
    def _route(self, route: Route) -> None:
        url = route.request.url
        STATS.requests += 1
        parts = urlsplit(url)
        if parts.hostname in ALLOWED_HOSTS:
            if parts.path.endswith("/sitemap.xml"):
                self._local_sitemap(route)
            else:
                route.continue_()
            return
        self.blocked.append(url)
        STATS.blocked.append((self.current, url))
        route.abort("blockedbyclient")

    def _local_sitemap(self, route: Route) -> None:
        """Serve sitemap.xml as if the site were deployed at this server's origin.

        Material's instant navigation only intercepts clicks on URLs listed in sitemap.xml,
        which holds absolute ``site_url`` addresses; it swaps their scheme and host for the
        page's but keeps no port, so on http://127.0.0.1:<port> no link would match and
        every click would be a full page load, which is not what a reader of the deployed
        site gets. Rewrite the origin of each <loc> to this server's.
        """
        response = route.fetch()
        body = re.sub(r"<loc>https?://[^/<]+", "<loc>" + self.base, response.text())
        route.fulfill(response=response, body=body)

    def _watch(self, page: Page) -> None:
        def console(msg) -> None:
            if msg.type == "error":
                self._error(f"console: {msg.text} @ {msg.location.get('url', '')}")

        def failed(request) -> None:
            # ERR_ABORTED: cancelled by a navigation (a reload while the search worker loads).
            if (urlsplit(request.url).hostname in ALLOWED_HOSTS
                    and "ERR_ABORTED" not in str(request.failure)):
                self._error(f"request failed: {request.url} ({request.failure})")

        def response(resp) -> None:
            if resp.status >= 400:
                self._error(f"HTTP {resp.status}: {resp.url}")

        page.on("console", console)
        page.on("pageerror", lambda exc: self._error(f"uncaught: {exc}"))
        page.on("requestfailed", failed)
        page.on("response", response)

    def _error(self, text: str) -> None:
        self.errors.append(text)
        STATS.console_errors.append((self.current, text))

    # -- navigation -----------------------------------------------------------------------
    def goto(self, path: str) -> Page:
        """Load ``path`` fresh and wait until MathJax has typeset it; resets the error lists."""
        self.current = path
        self.errors, self.blocked = [], []
        self.page.goto(self.base + path, wait_until="load")
        # Material sets up instant navigation once it has fetched sitemap.xml: a reader's click
        # comes later than that, so the clicks in these tests must too.
        self.page.wait_for_load_state("networkidle")
        STATS.page_loads += 1
        STATS.urls.add(path)
        wait_for_math(self.page)
        return self.page

    def close(self) -> None:
        self.context.close()


def wait_for_math(page: Page, timeout: float = 30_000) -> None:
    """Until MathJax's first typeset (or the one after an instant navigation) is done."""
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=timeout
    )
    page.evaluate("() => MathJax.startup.promise.then(() => document.fonts.ready).then(() => true)")
    # Instant navigation typesets via document$ after the swap: wait until no math is left raw.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.arithmatex')]"
        ".every(e => e.querySelector('mjx-container'))",
        timeout=timeout,
    )
    page.evaluate("() => MathJax.startup.promise.then(() => true)")


# ---------------------------------------------------------------------------------------------
# What one page shows

_MATH_JS = """() => {
  const S = MathJax.startup;
  const mml = [];
  for (const item of S.document.math) {
    if (item.root && item.display !== undefined) mml.push(S.toMML(item.root));
  }
  const arith = [...document.querySelectorAll('.arithmatex')];
  // The whole page: the table of contents and page titles show headings too.
  const skip = 'pre, code, script, style, textarea, mjx-container, .arithmatex, .md-search';
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest(skip)) continue;
    const t = n.textContent;
    if (/\\$\\$|\\\\begin\\{|\\\\end\\{|\\\\\\(|\\\\\\[|\\$[^$\\s][^$]*[\\\\^_][^$]*\\$/.test(t))
      raw.push(t.trim().slice(0, 120));
  }
  const refs = [...document.querySelectorAll('mjx-container a[href^="#mjx-eqn"]')].map(a => {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    return {href: a.getAttribute('href'), target: !!document.getElementById(id)};
  });
  return {
    mml,
    arith: arith.length,
    unrendered: arith.filter(e => !e.querySelector('mjx-container')).length,
    errorNodes: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    ids: [...document.querySelectorAll('mjx-container [id^="mjx-eqn"]')].map(e => e.id),
    raw,
    refs,
  };
}"""

_FIGURES_JS = """() => [...document.querySelectorAll('figure.bc-figure')].map((f, i) => {
  const r = f.getBoundingClientRect();
  const media = f.querySelector('svg, img');
  const m = media ? media.getBoundingClientRect() : {width: 0, height: 0};
  const cap = f.querySelector('figcaption');
  const st = getComputedStyle(f);
  return {index: i, width: r.width, height: r.height, mediaWidth: m.width, mediaHeight: m.height,
          hidden: st.display === 'none' || st.visibility === 'hidden' || +st.opacity === 0,
          caption: cap ? cap.textContent.trim() : ''};
})"""

_OVERFLOW_JS = """(limit) => {
  // An element wider than the viewport is fine when an ancestor below <body> scrolls or
  // clips it and itself fits (code blocks, display math, table wrappers scroll internally).
  const fits = el => el.getBoundingClientRect().right <= limit;
  const contained = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox !== 'visible' && fits(a)) return true;
    }
    return false;
  };
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const offenders = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= limit) continue;
    if (offenders.has(el.parentElement) || !contained(el)) offenders.add(el);
  }
  const top = [...offenders].filter(el => !offenders.has(el.parentElement));
  return {scrollWidth: document.scrollingElement.scrollWidth,
          offenders: top.slice(0, 8).map(el =>
            describe(el) + ' right=' + Math.round(el.getBoundingClientRect().right) +
            ' in ' + (el.closest('article h2, section, article, main')?.tagName || '?'))};
}"""


_TAG_RE = re.compile(r"<mlabeledtr[^>]*>\s*<mtd[^>]*>\s*<mtext>\(([^)<]*)\)</mtext>")
_UNDEFINED_RE = re.compile(r'<mtext mathcolor="red">(\\[^<]*)</mtext>')


@dataclass
class PageReport:
    url: str
    errors: list[str]
    blocked: list[str]
    arith: int = 0
    unrendered: int = 0
    error_nodes: int = 0
    merror: list[str] = field(default_factory=list)
    undefined: list[str] = field(default_factory=list)
    unresolved_refs: int = 0
    tags: list[str] = field(default_factory=list)  # equation numbers, in page order
    ids: list[str] = field(default_factory=list)
    refs: list[dict] = field(default_factory=list)
    raw_tex: list[str] = field(default_factory=list)
    eqref_jumps: list[str] = field(default_factory=list)  # problems found clicking \eqref links
    eqref_clicked: int = 0
    figures: list[dict] = field(default_factory=list)
    scroll_width: int = 0
    overflow: list[str] = field(default_factory=list)


def math_report(page: Page, report: PageReport) -> None:
    data = page.evaluate(_MATH_JS)
    report.arith, report.unrendered = data["arith"], data["unrendered"]
    report.error_nodes, report.ids, report.refs = data["errorNodes"], data["ids"], data["refs"]
    report.raw_tex = data["raw"]
    for mml in data["mml"]:
        if "<merror" in mml:
            report.merror.append(re.sub(r"\s+", " ", mml)[:200])
        report.undefined += _UNDEFINED_RE.findall(mml)
        report.unresolved_refs += mml.count("???")
        report.tags += _TAG_RE.findall(mml)


def click_eqrefs(page: Page, report: PageReport, max_clicks: int = 2) -> None:
    """Click the first and last \\eqref link; the equation must end up on screen, uncovered."""
    links = page.locator('mjx-container a[href^="#mjx-eqn"]')
    # Links a reader can see (not in an inactive tab or a closed <details>).
    visible = page.evaluate(
        """() => [...document.querySelectorAll('mjx-container a[href^="#mjx-eqn"]')]
                 .map((a, i) => a.checkVisibility({visibilityProperty: true}) ? i : -1)
                 .filter(i => i >= 0)"""
    )
    picks = sorted({visible[0], visible[-1]})[:max_clicks] if visible else []
    for i in picks:
        link = links.nth(i)
        target = unquote(link.get_attribute("href")[1:])
        page.evaluate("() => window.scrollTo(0, 0)")
        link.scroll_into_view_if_needed(timeout=5000)
        before = page.evaluate("() => scrollY")
        link.click(timeout=5000)
        try:
            page.wait_for_function(
                """(id) => {
                  const t = document.getElementById(id);
                  if (!t) return false;
                  const r = t.getBoundingClientRect();
                  if (r.bottom <= 0 || r.top >= innerHeight) return false;
                  // The equation's row must be on screen and not under the sticky header. Its
                  // number may sit in the scrolled-away part of a wide display (then test the
                  // row at the visible edge of the display).
                  const box = (t.closest('.arithmatex') || t).getBoundingClientRect();
                  const x = Math.max(box.left + 1, Math.min(box.right - 2, r.left + r.width / 2));
                  const y = r.top + r.height / 2;
                  if (y < 0 || y >= innerHeight) return false;
                  const hit = document.elementFromPoint(
                    Math.max(0, Math.min(innerWidth - 1, x)), y);
                  return !!hit && hit.closest('.arithmatex') === t.closest('.arithmatex');
                }""",
                arg=target,
                timeout=3000,
            )
        except Exception:  # noqa: BLE001 - reported as a failed check, with the details
            state = page.evaluate(
                "(id) => { const t = document.getElementById(id); if (!t) return 'no such element';"
                " const r = t.getBoundingClientRect();"
                " return `top=${Math.round(r.top)} of ${innerHeight}, scrollY=${scrollY}`; }",
                target,
            )
            report.eqref_jumps.append(
                f"link {i} -> #{target}: not on screen after click "
                f"({state}; scrollY before {before})"
            )
        report.eqref_clicked += 1
        STATS.eqref_clicks += 1


_REVEAL_JS = """(i) => {
  // A figure printed by a `source="tabbed-left"` block sits in the inactive 结果 tab: click
  // that tab's label, as a reader would, and say so.
  const f = document.querySelectorAll('figure.bc-figure')[i];
  const block = f.closest('.tabbed-block');
  if (!block || block.checkVisibility()) return false;
  const set = block.closest('.tabbed-set');
  const idx = [...block.parentElement.children].indexOf(block);
  const label = set.querySelectorAll(':scope > .tabbed-labels > label')[idx];
  if (!label) return false;
  label.click();
  return true;
}"""


def figures_report(page: Page, report: PageReport) -> None:
    count = page.locator("figure.bc-figure").count()
    behind = [i for i in range(count) if page.evaluate(_REVEAL_JS, i)]
    report.figures = page.evaluate(_FIGURES_JS)
    for fig in report.figures:
        fig["behind_tab"] = fig["index"] in behind
    figs = page.locator("figure.bc-figure")
    for fig in report.figures:
        snapshot = figs.nth(fig["index"]).aria_snapshot()
        names = re.findall(r'img "(.+?)"', snapshot)
        fig["img_name"] = names[0] if names else ""
    STATS.figures += len(report.figures)
    STATS.figures_behind_tab += len(behind)


def overflow_report(page: Page, report: PageReport) -> None:
    size = page.viewport_size or DESKTOP
    page.set_viewport_size({"width": MOBILE_WIDTH, "height": 812})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_timeout(400)  # resize handlers (debounced) settle
    data = page.evaluate(_OVERFLOW_JS, MOBILE_WIDTH + OVERFLOW_TOLERANCE)
    report.scroll_width, report.overflow = data["scrollWidth"], data["offenders"]
    page.set_viewport_size(size)


def inspect_page(reader: Reader, path: str) -> PageReport:
    """Load ``path`` once and run every per-page probe on it."""
    page = reader.goto(path)
    report = PageReport(url=path, errors=[], blocked=[])
    math_report(page, report)
    figures_report(page, report)
    click_eqrefs(page, report)
    overflow_report(page, report)
    page.wait_for_timeout(100)  # let late console errors arrive
    report.errors, report.blocked = list(reader.errors), list(reader.blocked)
    STATS.equations += len(report.tags)
    return report
