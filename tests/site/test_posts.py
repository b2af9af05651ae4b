"""The real site: a strict build, then one test per post and checks on every page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .sitetools import POSTS, ROOT, front_matter

SLUGS = [front_matter(p)["slug"] for p in POSTS]


def test_strict_build_passes(site_build):
    assert site_build.returncode == 0, "strict build failed:\n" + site_build.problems()


@pytest.mark.parametrize("path", POSTS, ids=[p.stem for p in POSTS])
def test_post(site_build, path: Path):
    """Everything a reader needs on one post page; a failure names the post."""
    meta = front_matter(path)
    src = f"docs/posts/{path.name}"
    events = site_build.report.get("pages", {}).get(src, [])
    failed = [e for e in events if e["status"] == "failed"]
    assert not failed, f"{src}: blocks failed:\n" + "\n".join(e.get("error", "")[:3000] for e in failed)
    text = path.read_text(encoding="utf-8")
    n_blocks = len(re.findall(r'^\s*```+\s*python[^\n]*exec="on"', text, flags=re.M))
    assert len(events) == n_blocks, f"{src}: {n_blocks} executable blocks, {len(events)} in the execution report"
    assert all(e["status"] in ("executed", "cached") for e in events)

    page = site_build.site / meta["slug"]
    assert page.is_dir(), f"no page at /{meta['slug']}/"
    html = (page / "index.html").read_text(encoding="utf-8")
    # Computed output made it into the page.
    assert html.count("bc-exec") >= n_blocks
    # Source attribution, papers, citation, provenance.
    source = meta["source"]
    assert source["author"] in html
    assert (source["title"] if source.get("title") else "一篇标题不详的文章") in html
    # The original's date, or an honest "unknown"; never this blog's date passed off as it.
    if source.get("date"):
        day = source["date"]
        assert f'原文发表于 <time datetime="{day.isoformat()}">' in html
    else:
        assert "原文日期不详" in html
    # How much of the original was read is said, not implied ("formulas come from the original"
    # would be false for a post written from an excerpt).
    said = {"full": "文中公式与结论来自原文", "partial": "本站只读到了原文的一部分",
            "excerpt": "本站未能读到原文全文"}
    read = source.get("text", "full")
    assert said[read] in html and all(v not in html for k, v in said.items() if k != read)
    if meta["source"].get("url"):
        assert f'href="{meta["source"]["url"]}"' in html
    for paper in meta.get("papers") or []:
        if paper.get("arxiv"):
            assert f"https://arxiv.org/abs/{paper['arxiv']}" in html
    assert "@online{blogcode:" + meta["slug"] in html
    assert 'class="bc-provenance"' in html and "numpy" in html
    # Math markup and figures.
    if "$" in text or "\\begin{" in text:
        assert 'class="arithmatex"' in html
    if "svg_figure(" in text:
        figs = re.findall(r'<figure class="bc-figure".*?</figure>', html, flags=re.S)
        assert figs, "post calls svg_figure but the page has no figure"
        for fig in figs:
            assert "<svg" in fig and "<figcaption>" in fig and "<title" in fig
    # Series navigation.
    if meta.get("series"):
        assert 'class="bc-series"' in html
    # The excerpt separator was used, and no raw TeX leaked into prose.
    assert "<!-- more -->" in text
    # Headings feed the table of contents, which MathJax does not typeset.
    math_headings = [h for h in re.findall(r"^#{1,6} .*$", text, flags=re.M) if "$" in h or "\\(" in h]
    assert not math_headings, f"{src}: math in headings shows as raw TeX in the table of contents: {math_headings}"
    _assert_no_raw_tex(html, src)


_PROTECTED = re.compile(r'<(pre|code|script|style|svg|textarea)\b.*?</\1>|<(span|div) class="arithmatex">.*?</\2>', re.S)


def _assert_no_raw_tex(html: str, where: str) -> None:
    body = html[html.find("<article"): html.find("</article>")]
    prose = re.sub(r"<[^>]+>", " ", _PROTECTED.sub(" ", body))
    for marker in ("$$", "\\begin{", "\\end{", "\\label{", "\\eqref{", "\\frac{"):
        assert marker not in prose, f"{where}: raw TeX {marker!r} in the page text (math not recognised): …{prose[max(0, prose.find(marker) - 80): prose.find(marker) + 80]}…"
    m = re.search(r"\$[^$\n]{0,200}?\\[A-Za-z]+[^$\n]{0,200}?\$", prose)
    assert m is None, f"{where}: raw inline TeX in the page text: {m.group(0)[:160] if m else ''}"


def _pages(site: Path):
    return sorted(site.rglob("*.html"))


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append((tag, "src", a["src"]))
        elif tag == "link" and a.get("href") and a.get("rel") not in ("canonical", "alternate"):
            self.refs.append((tag, "href", a["href"]))
        elif tag in ("img", "iframe", "audio", "video", "source", "embed") and a.get("src"):
            self.refs.append((tag, "src", a["src"]))


def test_no_third_party_requests(site_build):
    """No script, stylesheet, font, image or frame is loaded from another host."""
    assert site_build.returncode == 0
    offenders = []
    for page in _pages(site_build.site):
        p = _Refs()
        p.feed(page.read_text(encoding="utf-8"))
        for tag, attr, url in p.refs:
            if urlparse(url).netloc or url.startswith("//"):
                offenders.append(f"{page.relative_to(site_build.site)}: <{tag} {attr}={url}>")
    for css in site_build.site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"url\(\s*['\"]?([^)'\"]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text):
            if urlparse(url).netloc or url.startswith("//"):
                offenders.append(f"{css.relative_to(site_build.site)}: url({url})")
    for page in _pages(site_build.site):
        text = page.read_text(encoding="utf-8")
        for host in ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.jsdelivr.net", "unpkg.com", "cdnjs"):
            if host in text:
                offenders.append(f"{page.relative_to(site_build.site)}: mentions {host}")
    assert not offenders, "\n".join(offenders[:50])


_E_NOTATION = re.compile(r"(?<![\w.])\d+(\.\d+)?e[-+]?\d+")
_MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)


def test_numbers_in_math_are_not_e_notation(site_build):
    """`$1.4e-13$` renders as 1.4 times an italic e: numbers in math go through
    blogcode.publish.fmt (1.4\\times10^{-13}); captions do not carry raw `10^-119` either."""
    offenders = []
    for page in _pages(site_build.site):
        html = page.read_text(encoding="utf-8")
        rel = page.relative_to(site_build.site)
        for m in _MATH.finditer(html):
            if _E_NOTATION.search(m.group(2)):
                offenders.append(f"{rel}: math {m.group(2)[:80]!r}")
        for cap in re.findall(r"<figcaption>(.*?)</figcaption>", html, flags=re.S):
            text = _MATH.sub("", cap)
            if re.search(r"\d\^[-+]?\d|" + _E_NOTATION.pattern, text):
                offenders.append(f"{rel}: caption {text[:80]!r}")
    assert not offenders, "\n".join(offenders[:40])


def test_mathjax_is_self_hosted(site_build):
    assert (site_build.site / "assets/mathjax/tex-chtml.js").is_file()
    assert (site_build.site / "assets/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()
    assert (site_build.site / "assets/mathjax/input/tex/extensions/boldsymbol.js").is_file()


def test_every_formula_renders(site_build):
    """MathJax typesets every formula of every page without an error or an unresolved reference.

    Runs whenever the build wrote pages, even if strict mode failed elsewhere (that failure is
    test_strict_build_passes'), so one broken post does not hide the math of all the others."""
    assert (site_build.site / "index.html").is_file(), "the build wrote no site:\n" + \
        site_build.problems()
    if shutil.which("node") is None:
        pytest.fail("node is required to check the math (it is also needed to build the site)")
    out = subprocess.run(
        ["node", str(ROOT / "blogcode/publish/mathcheck.cjs"), str(site_build.site)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    pages = json.loads(out.stdout)
    problems = [
        f"{p['file']}: errors={p['errors']} unresolved={p['unresolved']}"
        for p in pages if p["errors"] or p["unresolved"]
    ]
    assert not problems, "\n".join(problems)
    by_file = {p["file"]: p for p in pages}
    for path in POSTS:
        text = path.read_text(encoding="utf-8")
        want = len(re.findall(r"\\begin\{(equation|align|gather|multline)\}", text))
        if want:
            got = by_file.get(f"{front_matter(path)['slug']}/index.html", {}).get("numbered", 0)
            assert got >= 1, f"{path.name}: has numbered environments but MathJax numbered none"


def test_labels_and_refs_match(site_build):
    """Every \\eqref on a page points at a \\label on the same page; labels are unique."""
    for path in POSTS:
        html = site_build.page(front_matter(path)["slug"])
        labels = re.findall(r"\\label\{([^}]+)\}", html)
        refs = set(re.findall(r"\\(?:eq)?ref\{([^}]+)\}", html))
        dup = {x for x in labels if labels.count(x) > 1}
        assert not dup, f"{path.name}: duplicate labels {sorted(dup)}"
        missing = refs - set(labels)
        assert not missing, f"{path.name}: \\eqref to missing labels {sorted(missing)}"


def test_category_and_archive_urls_are_ascii(site_build):
    for page in _pages(site_build.site):
        rel = str(page.relative_to(site_build.site))
        assert rel.isascii(), f"non-ASCII URL path: {rel}"


def test_readtime_counts_chinese(site_build):
    """A long Chinese post must not claim '1 minute' (Material counts a CJK run as one word)."""
    for path in POSTS:
        chars = len(re.findall(r"[\u4e00-\u9fff]", path.read_text(encoding="utf-8")))
        if chars > 2000:
            html = site_build.page(front_matter(path)["slug"])
            m = re.search(r"需要 (\d+) 分钟阅读时间|(\d+) 分钟", html)
            assert m, f"{path.name}: no reading time shown"
            minutes = int(m.group(1) or m.group(2))
            assert minutes >= chars // 800, f"{path.name}: {chars} CJK characters but {minutes} min"


def test_search_index_is_segmented(site_build):
    index = json.loads((site_build.site / "search/search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["zh"]
    text = " ".join(d["text"] for d in index["docs"])
    # jieba inserts zero-width spaces between Chinese words.
    assert "\u200b" in text


def test_feed_lists_every_post(site_build):
    import xml.etree.ElementTree as ET

    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.parse(site_build.site / "feed.xml").getroot()
    entries = root.findall("a:entry", ns)
    got = {e.find("a:link", ns).get("href").rstrip("/").rsplit("/", 1)[-1]: e for e in entries}
    assert set(got) == set(SLUGS)
    for path in POSTS:
        meta = front_matter(path)
        entry = got[meta["slug"]]
        assert entry.find("a:title", ns).text == meta["title"]
        assert entry.find("a:published", ns).text.startswith(str(meta["date"]))
    home = (site_build.site / "index.html").read_text(encoding="utf-8")
    assert 'type="application/atom+xml"' in home and "feed.xml" in home


def test_sitemap_and_404(site_build):
    assert (site_build.site / "404.html").is_file()
    sitemap = (site_build.site / "sitemap.xml").read_text(encoding="utf-8")
    for slug in SLUGS:
        assert f"/{slug}/</loc>" in sitemap


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])
        elif tag in ("link", "script", "img") and (a.get("href") or a.get("src")):
            if tag != "link" or a.get("rel") not in ("canonical",):
                self.links.append(a.get("href") or a.get("src"))


def test_internal_links_and_anchors_resolve(site_build):
    """Every internal link on the site points at a file that exists, and at an id on it."""
    from urllib.parse import unquote, urljoin

    site = site_build.site
    parsed: dict[Path, _Links] = {}

    def parse(path: Path) -> _Links:
        if path not in parsed:
            p = _Links()
            p.feed(path.read_text(encoding="utf-8"))
            parsed[path] = p
        return parsed[path]

    broken, checked = [], 0
    for page in _pages(site):
        base = "/" + str(page.relative_to(site)).replace("\\", "/")
        for href in parse(page).links:
            u = urlparse(href)
            if u.scheme or u.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target_url = urlparse(urljoin(base, href))
            target = site / unquote(target_url.path).lstrip("/")
            if target_url.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.exists():
                broken.append(f"{base}: {href} -> missing {target.relative_to(site)}")
                continue
            frag = unquote(target_url.fragment)
            if frag and target.suffix == ".html" and frag not in parse(target).ids:
                broken.append(f"{base}: {href} -> no id {frag!r}")
    assert checked > 0
    assert not broken, f"{len(broken)} broken of {checked} links:\n" + "\n".join(broken[:40])
