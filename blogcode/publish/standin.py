"""Under ``mkdocs serve``, a post whose front matter is wrong is shown as an error page.

A strict build fails on such a post.  The development server must not: it
would stop answering (MkDocs waits for a good build before it serves a page).
So the plugin replaces the post, for this build only, by a *stand-in*: a valid
post at the same address (same slug where the slug is readable) whose body
says what is wrong.  The author sees the error where the post was, and the page
reloads into the real post once the file is fixed.
"""

from __future__ import annotations

import datetime as _dt
import html
import re
import tempfile
from pathlib import Path

from .slugs import CATEGORY_SLUGS

_SLUG_LINE = re.compile(r"^slug:[ \t]*['\"]?([a-z0-9]+(?:-[a-z0-9]+)*)['\"]?[ \t]*$", re.M)
_DATE_LINE = re.compile(r"^date:[ \t]*['\"]?(\d{4}-\d{2}-\d{2})['\"]?[ \t]*$", re.M)


def _slug(raw: str, path: str) -> str:
    m = _SLUG_LINE.search(raw)
    if m:
        return m[1]
    stem = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")
    return stem or "post-with-errors"


def _date(raw: str) -> str:
    m = _DATE_LINE.search(raw)
    if m:
        try:
            return _dt.date.fromisoformat(m[1]).isoformat()
        except ValueError:
            pass
    return "1970-01-01"  # shown only by the development server


def stand_in_text(raw: str, path: str, error: str) -> str:
    """The text of a valid post that shows ``error`` for the post ``path`` (text ``raw``)."""
    category = next(iter(CATEGORY_SLUGS))
    body = html.escape(error)
    return (
        "---\n"
        f"title: {_yaml_str('文章前言（front matter）有错误：' + Path(path).name)}\n"
        f"date: {_date(raw)}\n"
        f"slug: {_slug(raw, path)}\n"
        f"categories:\n  - {category}\n"
        "source:\n  title: 未知\n  author: 未知\n  blog: 未知\n"
        "---\n\n"
        "这篇文章的 front matter 有错误。\n\n<!-- more -->\n\n"
        '<div class="admonition failure bc-frontmatter-error">'
        '<p class="admonition-title">这篇文章的 front matter 有错误，本次构建未能生成它</p>'
        f"<pre><code>{body}</code></pre>"
        f"<p>修正 <code>{html.escape(path)}</code> 并保存后，本页会自动刷新。</p></div>\n"
    )


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_stand_in(raw: str, path: str, error: str, folder: Path | None = None) -> Path:
    """Write the stand-in for ``path`` into ``folder`` (a temporary one by default)."""
    folder = folder or Path(tempfile.mkdtemp(prefix="blogcode-standin-"))
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / Path(path).name
    out.write_text(stand_in_text(raw, path, error), encoding="utf-8")
    return out
