"""What the search index holds: a post's prose, not its math, figures or code listings.

Material's search plugin indexes a page's HTML and skips every element carrying a
``data-search-exclude`` attribute.  :func:`exclude_from_search` marks, in a page's content:

* math (``<span class="arithmatex">`` and ``<div class="arithmatex">``): raw TeX such as
  ``\\boldsymbol{x}`` is not what a reader types, and shown in a result it is noise;
* inline SVG (figures): coordinates and path data;
* ``<pre>`` blocks: the source code of the executable blocks and text-mode outputs.

Together they were two thirds of the index's text.  The marks are only for the indexer: the
plugin adds them just before Material's search plugin reads the page and removes them right
after (:func:`unmark`), so the published HTML is unchanged.  Prose printed by blocks
(sentences, tables) stays searchable, and so do figure captions and inline ``<code>`` in
prose.  Listing pages (the blog's index, archive and category pages) repeat the posts'
excerpts and are left out of the index altogether by the plugin (:func:`is_listing`).

Under ``mkdocs serve`` every rebuild re-indexes every page, and parsing the pages' HTML was
most of a rebuild's time.  :func:`reuse_unchanged_entries` makes the search index reuse the
entries of a page whose content (and title, tags, search settings, URL) did not change since
the previous rebuild in the same process, so a prose edit re-indexes the edited page only.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

__all__ = ["exclude_from_search", "is_listing", "reuse_unchanged_entries", "unmark"]

_MARK = ' data-search-exclude="bc"'
_OPENING = re.compile(
    r"<(?:span|div)\s+class=\"arithmatex\"(?![^>]*data-search-exclude)"
    r"|<svg\b(?![^>]*data-search-exclude)"
    r"|<pre\b(?![^>]*data-search-exclude)"
)


def exclude_from_search(html: str) -> str:
    """``html`` with math, inline SVG and ``<pre>`` blocks marked ``data-search-exclude``.

    >>> exclude_from_search('<div class="arithmatex">x</div><pre>a</pre>')
    '<div class="arithmatex" data-search-exclude="bc">x</div><pre data-search-exclude="bc">a</pre>'
    >>> html = '<svg width="1"><path d="M0"/></svg>'
    >>> exclude_from_search(exclude_from_search(html)) == exclude_from_search(html)
    True
    >>> unmark(exclude_from_search(html)) == html
    True
    """
    return _OPENING.sub(lambda m: _mark(m.group(0)), html)


def _mark(opening: str) -> str:
    if opening.startswith(("<span", "<div")):
        return opening + _MARK
    tag = opening[:4]  # "<svg" or "<pre"
    return tag + _MARK + opening[4:]


def unmark(html: str) -> str:
    """Remove the marks :func:`exclude_from_search` added (and only those)."""
    return html.replace(_MARK, "")


def is_listing(page: object) -> bool:
    """Whether ``page`` is one of the blog plugin's generated listing pages (index, archive,
    category): they show the posts' excerpts, which the posts' own entries already hold."""
    try:
        from material.plugins.blog.structure import View
    except ImportError:  # pragma: no cover - Material is a dependency of the site
        return False
    return isinstance(page, View)


#: page URL -> (key of what its entries were computed from, the entries); one per page, so the
#: memo never holds more than one index's worth of entries.
_ENTRIES: dict[str, tuple[str, list[dict[str, Any]]]] = {}


def _page_key(page: Any) -> str:
    meta = getattr(page, "meta", {}) or {}
    parts = (page.url, str(page.title), repr(meta.get("title")), repr(meta.get("tags")),
             repr(meta.get("search")), page.content or "")
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def reuse_unchanged_entries(search_index: Any) -> None:
    """Wrap ``search_index.add_entry_from_context`` (Material's ``SearchIndex``) so that a page
    indexed before with the same key gets copies of its previous entries instead of being
    parsed and segmented again.  The entries are exactly those a fresh indexing would give:
    everything they are computed from is in the key.  Idempotent."""
    original = search_index.add_entry_from_context
    if getattr(original, "_bc_memo", False):
        return

    def add_entry_from_context(page: Any) -> None:
        key = _page_key(page)
        seen = _ENTRIES.get(page.url)
        if seen is not None and seen[0] == key:
            search_index.entries.extend(copy.deepcopy(seen[1]))
            return
        start = len(search_index.entries)
        original(page)
        _ENTRIES[page.url] = (key, copy.deepcopy(search_index.entries[start:]))

    add_entry_from_context._bc_memo = True  # type: ignore[attr-defined]
    search_index.add_entry_from_context = add_entry_from_context
