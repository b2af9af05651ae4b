"""The post front-matter schema, checked at build time.

Every post under ``docs/posts/`` must carry::

    title:       str
    date:        YYYY-MM-DD (the source article's date where known)
    slug:        ASCII, lowercase words joined by '-'
    categories:  non-empty list of known categories
    source:      {title, author, blog, url?}
    papers:      optional list of {title, arxiv? | venue?, url?}
    series:      optional {name, order}
    tags:        optional list of str

Unknown keys are errors too (a typo such as ``sorce:`` must not pass silently).
:func:`load` reads the YAML block of a post's text, :func:`validate` returns a
normalised :class:`PostMeta` (:func:`parse` does both), and
:func:`check_unique_slugs` and :func:`series_neighbours` check the posts
together; each raises :class:`FrontMatterError` naming the file and the key.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from .slugs import CATEGORY_SLUGS

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# New-style arXiv ids (YYMM.NNNNN) with optional version, or old-style (hep-th/9901001).
ARXIV_RE = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")

REQUIRED = ("title", "date", "slug", "categories", "source")
OPTIONAL = ("papers", "series", "tags")
# Keys that MkDocs/Material understand and a post may legitimately set.
PASSTHROUGH = ("description", "draft", "pin", "readtime", "hide", "search", "comments")
SOURCE_KEYS = {"title": True, "author": True, "blog": True, "url": False}
PAPER_KEYS = {"title": True, "arxiv": False, "venue": False, "url": False}
SERIES_KEYS = {"name": True, "order": True}


class FrontMatterError(ValueError):
    """A post's front matter is missing a key or has a malformed one."""

    def __init__(self, path: str, key: str | None, problem: str):
        self.path, self.key, self.problem = path, key, problem
        # key=None: the block as a whole is wrong (missing, not YAML, not a mapping).
        where = f" front matter key '{key}':" if key is not None else ""
        super().__init__(f"{path}:{where} {problem}")


@dataclass(frozen=True)
class Paper:
    title: str
    arxiv: str | None = None
    venue: str | None = None
    url: str | None = None

    @property
    def link(self) -> str | None:
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        return self.url


@dataclass(frozen=True)
class Source:
    title: str
    author: str
    blog: str
    url: str | None = None


@dataclass(frozen=True)
class Series:
    name: str
    order: int


@dataclass(frozen=True)
class PostMeta:
    path: str
    title: str
    date: _dt.date
    slug: str
    categories: tuple[str, ...]
    source: Source
    papers: tuple[Paper, ...] = ()
    series: Series | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def _nonempty_str(path: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FrontMatterError(path, key, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _url(path: str, key: str, value: Any) -> str:
    value = _nonempty_str(path, key, value)
    if not URL_RE.match(value):
        raise FrontMatterError(path, key, f"must be an http(s) URL, got {value!r}")
    return value


def _mapping(path: str, key: str, value: Any, schema: dict[str, bool]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FrontMatterError(
            path, key, f"must be a mapping with keys {sorted(schema)}, got {value!r}"
        )
    for k in value:
        if k not in schema:
            raise FrontMatterError(path, f"{key}.{k}", f"unknown key; allowed: {', '.join(schema)}")
    for k, required in schema.items():
        if required and k not in value:
            raise FrontMatterError(path, f"{key}.{k}", "is required")
    return value


def _date(path: str, value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FrontMatterError(path, "date", f"must be a date written YYYY-MM-DD, got {value!r}")


def _str_list(path: str, key: str, value: Any, *, nonempty: bool) -> tuple[str, ...]:
    if not isinstance(value, list) or (nonempty and not value):
        what = "non-empty list" if nonempty else "list"
        raise FrontMatterError(path, key, f"must be a {what} of strings, got {value!r}")
    return tuple(_nonempty_str(path, f"{key}[{i}]", v) for i, v in enumerate(value))


def validate(meta: dict[str, Any], path: str) -> PostMeta:
    """Check a post's front matter; return it normalised or raise FrontMatterError."""
    if not isinstance(meta, dict) or not meta:
        raise FrontMatterError(
            path, "(front matter)",
            "missing: a post must start with a YAML block between '---' lines",
        )
    allowed = set(REQUIRED) | set(OPTIONAL) | set(PASSTHROUGH) | {"template"}
    for key in meta:
        if key not in allowed:
            known = ", ".join(REQUIRED + OPTIONAL)
            raise FrontMatterError(path, str(key), f"unknown key; allowed: {known}")
    for key in REQUIRED:
        if key not in meta or meta[key] in (None, ""):
            raise FrontMatterError(path, key, "is required")

    title = _nonempty_str(path, "title", meta["title"])
    date = _date(path, meta["date"])
    slug = meta["slug"]
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise FrontMatterError(
            path, "slug",
            f"must be ASCII lowercase words joined by '-' (e.g. 'ssm-1-hippo'), got {slug!r}",
        )
    categories = _str_list(path, "categories", meta["categories"], nonempty=True)
    for i, cat in enumerate(categories):
        if cat not in CATEGORY_SLUGS:
            known = ", ".join(CATEGORY_SLUGS)
            raise FrontMatterError(
                path, f"categories[{i}]", f"unknown category {cat!r}; known: {known}"
            )

    src = _mapping(path, "source", meta["source"], SOURCE_KEYS)
    source = Source(
        title=_nonempty_str(path, "source.title", src["title"]),
        author=_nonempty_str(path, "source.author", src["author"]),
        blog=_nonempty_str(path, "source.blog", src["blog"]),
        url=_url(path, "source.url", src["url"]) if src.get("url") is not None else None,
    )

    papers: list[Paper] = []
    raw_papers = meta.get("papers") or []
    if not isinstance(raw_papers, list):
        raise FrontMatterError(
            path, "papers", f"must be a list of {{title, arxiv}} mappings, got {raw_papers!r}"
        )
    for i, p in enumerate(raw_papers):
        key = f"papers[{i}]"
        p = _mapping(path, key, p, PAPER_KEYS)
        arxiv = p.get("arxiv")
        if arxiv is not None:
            arxiv = str(arxiv).strip()
            if not ARXIV_RE.match(arxiv):
                raise FrontMatterError(
                    path, f"{key}.arxiv", f"not an arXiv id (e.g. '2008.07669'): {arxiv!r}"
                )
        venue = None
        if p.get("venue") is not None:
            venue = _nonempty_str(path, f"{key}.venue", p["venue"])
        url = _url(path, f"{key}.url", p["url"]) if p.get("url") is not None else None
        if arxiv is None and venue is None:
            raise FrontMatterError(
                path, key, "needs an 'arxiv' id or, for papers not on arXiv, a 'venue'"
            )
        papers.append(Paper(_nonempty_str(path, f"{key}.title", p["title"]), arxiv, venue, url))

    series = None
    if meta.get("series") is not None:
        s = _mapping(path, "series", meta["series"], SERIES_KEYS)
        order = s["order"]
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise FrontMatterError(
                path, "series.order", f"must be a positive integer, got {order!r}"
            )
        series = Series(_nonempty_str(path, "series.name", s["name"]), order)

    tags: tuple[str, ...] = ()
    if meta.get("tags") is not None:
        tags = _str_list(path, "tags", meta["tags"], nonempty=False)

    return PostMeta(path, title, date, slug, categories, source, tuple(papers), series, tags)


def load(raw: str, path: str) -> dict[str, Any]:
    """The YAML block between the ``---`` lines that open ``raw`` (a post's text)."""
    if not raw.startswith("---"):
        raise FrontMatterError(
            path, None,
            "front matter missing: a post must start with a YAML block between '---' lines",
        )
    try:
        _, block, _ = raw.split("---", 2)
        meta = yaml.safe_load(block) or {}
    except ValueError:
        raise FrontMatterError(path, None, "front matter is not closed by a '---' line") from None
    except yaml.YAMLError as err:
        raise FrontMatterError(path, None, f"front matter is not valid YAML: {err}") from None
    if not isinstance(meta, dict):
        raise FrontMatterError(path, None, "front matter must be a YAML mapping")
    return meta


def parse(raw: str, path: str) -> PostMeta:
    """:func:`load` then :func:`validate` the post whose text is ``raw``."""
    return validate(load(raw, path), path)


def check_unique_slugs(posts: Iterable[PostMeta]) -> None:
    """Raise FrontMatterError when two posts share a slug (they would share a URL)."""
    seen: dict[str, PostMeta] = {}
    for meta in posts:
        if meta.slug in seen:
            other = seen[meta.slug].path
            raise FrontMatterError(meta.path, "slug", f"{meta.slug!r} is also used by {other}")
        seen[meta.slug] = meta


Neighbours = tuple[PostMeta | None, PostMeta | None, list[PostMeta]]


def series_neighbours(posts: list[PostMeta]) -> dict[str, Neighbours]:
    """Map each post slug in a series to (previous, next, all posts of the series in order).

    Raises ValueError when two posts of one series claim the same order.
    """
    by_series: dict[str, list[tuple[int, PostMeta]]] = {}  # name -> (order, post)
    for p in posts:
        if p.series:
            by_series.setdefault(p.series.name, []).append((p.series.order, p))
    out: dict[str, Neighbours] = {}
    for name, ordered in by_series.items():
        ordered.sort(key=lambda op: op[0])
        for (before, a), (order, b) in zip(ordered, ordered[1:], strict=False):
            if before == order:
                raise FrontMatterError(
                    b.path, "series.order",
                    f"order {order} of series {name!r} is also used by {a.path}",
                )
        items = [p for _, p in ordered]
        for i, p in enumerate(items):
            prev = items[i - 1] if i > 0 else None
            nxt = items[i + 1] if i + 1 < len(items) else None
            out[p.slug] = (prev, nxt, items)
    return out
