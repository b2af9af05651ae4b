"""The Atom feed: entries newest first, summaries cut at the configured excerpt separator."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from blogcode.publish.feed import DEFAULT_SEPARATOR, excerpt_separator, write_feed
from blogcode.publish.frontmatter import validate

META = {
    "title": "标题",
    "slug": "a",
    "categories": ["数学"],
    "source": {"title": "原文", "author": "作者", "blog": "博客"},
}


def _config(tmp_path, separator=None):
    plugins = {}
    if separator is not None:
        blog_config = SimpleNamespace(post_excerpt_separator=separator)
        plugins["material/blog"] = SimpleNamespace(config=blog_config)
    return SimpleNamespace(
        plugins=plugins, site_url="https://example.org/blog", site_name="站", site_author=None,
        site_description="", site_dir=str(tmp_path),
    )


def test_separator_comes_from_the_blog_plugin(tmp_path):
    assert excerpt_separator(_config(tmp_path)) == DEFAULT_SEPARATOR
    assert excerpt_separator(_config(tmp_path, "<!-- cut -->")) == "<!-- cut -->"


def test_feed_summary_stops_at_the_configured_separator(tmp_path):
    old = validate({**META, "date": dt.date(2024, 1, 1)}, "docs/posts/a.md")
    new = validate({**META, "slug": "b", "date": dt.date(2024, 2, 1)}, "docs/posts/b.md")
    pages = [
        (old, SimpleNamespace(url="a/", content="<p>一</p><!-- cut --><p>secret</p>")),
        (new, SimpleNamespace(url="b/", content="<p>二</p>")),
    ]
    path = write_feed(pages, _config(tmp_path, "<!-- cut -->"))
    xml = path.read_text(encoding="utf-8")
    assert path.name == "feed.xml" and "secret" not in xml and "&lt;p&gt;一&lt;/p&gt;" in xml
    assert xml.index("https://example.org/blog/b/") < xml.index("https://example.org/blog/a/")
    assert "<name>站</name>" in xml  # no site_author: the site name
