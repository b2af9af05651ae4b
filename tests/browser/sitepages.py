"""What the browser tests know about a built site without a browser.

Everything here reads the static HTML that ``mkdocs build`` wrote (BeautifulSoup), serves it on
127.0.0.1, and keeps the run's counters for the summary the session prints. Nothing in this
module imports Playwright, so a test run without it can still collect and skip.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = Path(os.environ.get("BLOGCODE_SITE_DIR") or ROOT / "site").resolve()
ARTIFACTS = ROOT / "artifacts"
# Set by `nox -s browser`: a missing site, Chromium or Playwright is then a failure, not a skip.
REQUIRED = os.environ.get("BLOGCODE_BROWSER", "") == "1"

# Numbered AMS environments (the starred forms are unnumbered).
NUMBERED_ENVS = ("equation", "align", "gather", "multline", "flalign", "alignat")
_ENV_RE = re.compile(r"\\begin\{(" + "|".join(NUMBERED_ENVS) + r")\}(.*?)\\end\{\1\}", re.S)
_LABEL_RE = re.compile(r"\\label\{([^}]*)\}")
_EQREF_RE = re.compile(r"\\(?:eq)?ref\{([^}]*)\}")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


# ---------------------------------------------------------------------------------------------
# The pages of the built site


@dataclass
class PageInfo:
    """One HTML page of the built site, as the static file describes it."""

    url: str  # path below the site root, "/" or "/slug/"
    kind: str  # home | post | category | archive | about | listing | page
    title: str
    numbered: int  # at least this many equation numbers (\begin{equation}, align, ... environments)
    labels: list[str]
    eqrefs: list[str]
    figures: int
    has_math: bool


def page_urls(site: Path = SITE_DIR) -> list[str]:
    """Every page of the site ("/", "/about/", ...): its index.html files, home first."""
    urls = []
    for index in site.rglob("index.html"):
        rel = index.parent.relative_to(site).as_posix()
        if rel.split("/")[0] in ("assets", "search"):
            continue
        urls.append("/" if rel == "." else f"/{rel}/")
    return sorted(urls, key=lambda u: (u != "/", u))


def _kind(url: str, soup: BeautifulSoup) -> str:
    first = url.strip("/").split("/")[0]
    if url == "/":
        return "home"
    if first == "about":
        return "about"
    if first == "archive":
        return "archive"
    if first == "category":
        return "category"
    if first in ("page", "tags"):
        return "listing"
    if soup.select_one(".bc-source") is not None:
        return "post"
    return "page"


@functools.cache
def page_info(url: str, site: Path = SITE_DIR) -> PageInfo:
    html = (site / url.lstrip("/") / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "lxml")
    tex = [el.get_text() for el in soup.select(".arithmatex")]
    numbered, labels, eqrefs = 0, [], []
    for t in tex:
        for m in _ENV_RE.finditer(t):
            # A lower bound: each equation gets a number unless \notag'ed; align & co. get at
            # least one (counting their rows would need a TeX parser).
            if not re.search(r"\\(?:notag|nonumber)\b", m.group(2)):
                numbered += 1
        labels += _LABEL_RE.findall(t)
        eqrefs += _EQREF_RE.findall(t)
    title = (soup.title.get_text() if soup.title else "").split(" - ")[0].strip()
    return PageInfo(
        url=url,
        kind=_kind(url, soup),
        title=title,
        numbered=numbered,
        labels=labels,
        eqrefs=eqrefs,
        figures=len(soup.select("figure.bc-figure")),
        has_math=bool(tex),
    )


def posts(site: Path = SITE_DIR) -> list[str]:
    return [u for u in page_urls(site) if page_info(u, site).kind == "post"]


def posts_by_category(site: Path = SITE_DIR) -> dict[str, list[str]]:
    """Category page url -> the post urls it lists (first page of the category only)."""
    out: dict[str, list[str]] = {}
    for url in page_urls(site):
        parts = url.strip("/").split("/")
        if parts[0] != "category" or len(parts) != 2:
            continue
        soup = BeautifulSoup((site / url.lstrip("/") / "index.html").read_bytes(), "lxml")
        links = [urlsplit(urljoin(url, a["href"])).path
                 for a in soup.select("article.md-post h2 a[href]")]
        out[url] = [u for u in dict.fromkeys(links) if u in set(posts(site))]
    return out


def axe_sample(site: Path = SITE_DIR) -> list[str]:
    """Home, one post per category, about, the first archive page (those that exist)."""
    urls = page_urls(site)
    sample = ["/"]
    for listed in posts_by_category(site).values():
        if listed and listed[0] not in sample:
            sample.append(listed[0])
    sample += [u for u in urls if u == "/about/"][:1]
    sample += sorted(u for u in urls if u.startswith("/archive/"))[:1]
    return [u for u in sample if u in urls]


def typical_post(site: Path = SITE_DIR) -> str:
    """The post whose HTML size is the median: what a reader typically downloads."""
    sized = sorted(
        posts(site), key=lambda u: ((site / u.lstrip("/") / "index.html").stat().st_size, u)
    )
    if not sized:
        raise LookupError(f"no post pages in {site}")
    return sized[len(sized) // 2]


# ---------------------------------------------------------------------------------------------
# Search queries derived from the posts present


# Queries a reader of these posts would type, used when they occur in the posts (the brief's
# examples); every post also gets a query chosen from its own text below.
READER_QUERIES = ("状态空间", "卷积", "勒让德", "傅里叶变换", "注意力", "位置编码", "四元数")


def _search_docs(site: Path) -> dict[str, str]:
    """Page url -> the text the search index holds for it (title + all its sections)."""
    import json

    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    pages: dict[str, list[str]] = {}
    for doc in index["docs"]:
        page = "/" + doc["location"].split("#")[0]
        pages.setdefault(page, []).append(doc.get("title", "") + "\u200b" + doc.get("text", ""))
    return {u: "\u200b".join(parts) for u, parts in pages.items()}


def _tokens(text: str) -> list[str]:
    """The build segments Chinese with jieba and joins the words with U+200B; reuse its words."""
    text = re.sub(r"<[^>]+>", "\u200b", text)
    words = re.split(r"[\u200b\s]+", text)
    return [w for w in words if 2 <= len(w) <= 6 and _CJK_RUN.fullmatch(w)]


def search_queries(site: Path = SITE_DIR, per_post_limit: int = 30) -> list[tuple[str, list[str]]]:
    """(query, posts that contain it) pairs taken from the built posts' own text.

    For each post (at most ``per_post_limit`` posts, spread over the site) the most frequent
    Chinese word of the post that occurs in as few other posts as possible; plus the reader
    queries above that occur in some post.
    """
    docs = _search_docs(site)
    post_urls = [u for u in posts(site) if u in docs]
    plain = {u: docs[u].replace("\u200b", "") for u in post_urls}
    counts = {u: Counter(_tokens(docs[u])) for u in post_urls}
    df = Counter(w for c in counts.values() for w in c)
    queries: dict[str, list[str]] = {}
    step = max(1, len(post_urls) // per_post_limit + (len(post_urls) % per_post_limit > 0))
    for url in post_urls[::step]:
        ranked = sorted(counts[url].items(), key=lambda kv: (df[kv[0]], -kv[1], -len(kv[0]), kv[0]))
        for word, n in ranked:
            if n >= 2 and word not in queries:
                queries[word] = [u for u in post_urls if word in plain[u]]
                break
    for word in READER_QUERIES:
        holders = [u for u in post_urls if word in plain[u]]
        if holders:
            queries.setdefault(word, holders)
    return sorted(queries.items(), key=lambda kv: kv[0])


# ---------------------------------------------------------------------------------------------
# A static server on 127.0.0.1


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".json": "application/json",
        ".woff": "font/woff",
        ".woff2": "font/woff2",
        ".svg": "image/svg+xml",
        ".xml": "application/xml",
    }

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


class SiteServer:
    """``http.server`` in a daemon thread, on a free port of 127.0.0.1."""

    def __init__(self, site: Path):
        handler = functools.partial(_QuietHandler, directory=str(site))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="site-server", daemon=True
        )

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path


# ---------------------------------------------------------------------------------------------
# Counters for the summary


@dataclass
class Stats:
    page_loads: int = 0
    urls: set[str] = field(default_factory=set)
    requests: int = 0
    blocked: list[tuple[str, str]] = field(default_factory=list)  # (page, blocked url)
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    equations: int = 0
    eqref_clicks: int = 0
    figures: int = 0
    figures_behind_tab: int = 0
    searches: list[tuple[str, int, bool]] = field(default_factory=list)  # query, hits, ok
    # query -> the ranks (1-based) at which the posts containing it were listed
    search_ranks: list[tuple[str, list[int]]] = field(default_factory=list)
    axe: dict[str, list[dict]] = field(default_factory=dict)  # url -> violations
    weight: dict | None = None
    screenshots: list[str] = field(default_factory=list)
    used: bool = False


STATS = Stats()


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
