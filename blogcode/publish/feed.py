"""An Atom feed of all posts (``feed.xml``), written after the build.

Each entry's summary is the post's excerpt: its HTML above the excerpt separator
configured for Material's blog plugin (:func:`excerpt_separator`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from .frontmatter import PostMeta

if TYPE_CHECKING:  # MkDocs objects are passed in; this module does not need MkDocs to run
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page

FEED_FILE = "feed.xml"
DEFAULT_SEPARATOR = "<!-- more -->"  # Material's default ``post_excerpt_separator``


def excerpt_separator(config: MkDocsConfig) -> str:
    """The ``post_excerpt_separator`` of the material/blog plugin (its default if absent)."""
    blog = config.plugins.get("material/blog")
    if blog is None:
        return DEFAULT_SEPARATOR
    return str(getattr(blog.config, "post_excerpt_separator", DEFAULT_SEPARATOR))


def _stamp(day: _dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def atom(
    posts: list[tuple[PostMeta, str, str]],
    *, title: str, site_url: str, author: str, subtitle: str = "",
) -> str:
    """``posts``: (meta, absolute URL, summary HTML). Newest first; deterministic output."""
    site_url = site_url.rstrip("/") + "/"
    items = sorted(posts, key=lambda p: (p[0].date, p[0].slug), reverse=True)
    updated = _stamp(max((m.date for m, _, _ in items), default=_dt.date(1970, 1, 1)))
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh">',
        f"  <title>{escape(title)}</title>",
        f"  <subtitle>{escape(subtitle)}</subtitle>" if subtitle else "",
        f'  <link href="{escape(site_url)}" rel="alternate" type="text/html"/>',
        f'  <link href="{escape(site_url)}feed.xml" rel="self" type="application/atom+xml"/>',
        f"  <id>{escape(site_url)}</id>",
        f"  <updated>{updated}</updated>",
        f"  <author><name>{escape(author)}</name></author>",
    ]
    for meta, url, summary in items:
        out += [
            "  <entry>",
            f"    <title>{escape(meta.title)}</title>",
            f'    <link href="{escape(url)}" rel="alternate" type="text/html"/>',
            f"    <id>{escape(url)}</id>",
            f"    <published>{_stamp(meta.date)}</published>",
            f"    <updated>{_stamp(meta.date)}</updated>",
            *[f'    <category term="{escape(c)}"/>' for c in meta.categories],
            f'    <summary type="html">{escape(summary)}</summary>',
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(line for line in out if line) + "\n"


def write_feed(posts: Iterable[tuple[PostMeta, Page]], config: MkDocsConfig) -> Path:
    """Write ``feed.xml`` into the site folder for the rendered ``posts``; return its path."""
    base = (config.site_url or "/").rstrip("/") + "/"
    sep = excerpt_separator(config)
    entries = [
        (meta, base + page.url, (page.content or "").split(sep, 1)[0]) for meta, page in posts
    ]
    xml = atom(
        entries, title=config.site_name, site_url=base,
        author=config.site_author or config.site_name, subtitle=config.site_description or "",
    )
    path = Path(config.site_dir, FEED_FILE)
    path.write_text(xml, encoding="utf-8")
    return path
