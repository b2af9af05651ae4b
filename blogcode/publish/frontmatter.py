"""The post front-matter schema, checked at build time.

Every post under ``docs/posts/`` must carry::

    title:       str
    date:        YYYY-MM-DD, this blog's publication date of the post
    slug:        ASCII, lowercase words joined by '-'
    categories:  non-empty list of known categories
    source:      {title?, author, blog, url?, date?, text?}  (title, url, date: the
                 original's, only when known; text: how much of it we could read -- "full"
                 (default), "partial" or "excerpt", which the attribution line states)
    papers:      optional list of {title, arxiv? | venue?, url?}
    series:      optional {name, order}
    tags:        optional list of str

Unknown keys are errors too (a typo such as ``sorce:`` must not pass silently).
:func:`split` cuts a post's text into its YAML block and its body with MkDocs'
rule, :func:`load` reads that block, :func:`validate` returns a
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
# MkDocs' rule (mkdocs/utils/meta.py): the text starts with a line '---', and the block
# ends at the first following line that is '---' or '...'; trailing blanks are allowed.
_OPEN_RE = re.compile(r"-{3}[ \t]*\n")
_CLOSE_RE = re.compile(r"^(?:-{3}|\.{3})[ \t]*\n", re.MULTILINE)
_CLOSE_AT_END_RE = re.compile(r"^(?:-{3}|\.{3})[ \t]*\Z", re.MULTILINE)
# A date as YAML's timestamps write it (month and day may have one digit), with an
# optional time of day.
_DATE_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?"
    r"(?:[ \t]*(?:Z|[-+]\d{1,2}(?::?\d{2})?))?)?$"
)
_TOP_KEY_RE = re.compile(r"^([A-Za-z_][\w.-]*)[ \t]*:(?:[ \t]|$)")

REQUIRED = ("title", "date", "slug", "categories", "source")
OPTIONAL = ("papers", "series", "tags")
# Keys that MkDocs/Material understand and a post may legitimately set.
PASSTHROUGH = ("description", "draft", "pin", "readtime", "hide", "search", "comments")
SOURCE_KEYS = {"title": False, "author": True, "blog": True, "url": False, "date": False,
               "text": False}
#: How much of the original the post was written from: the whole text, part of it, or only an
#: excerpt (an index page's teaser, a problem statement) plus the references the post names.
SOURCE_TEXTS = ("full", "partial", "excerpt")
PAPER_KEYS = {"title": True, "arxiv": False, "venue": False, "url": False}
SERIES_KEYS = {"name": True, "order": True}


class FrontMatterError(ValueError):
    """A post's front matter is missing a key or has a malformed one.

    The message is one line: ``path[:line]: [front matter key 'key':] problem``.  For
    a YAML syntax error, ``line`` is the file's line and ``key`` the top-level key
    being read there, when it can be told (named in the problem).
    """

    def __init__(self, path: str, key: str | None, problem: str, line: int | None = None):
        self.path, self.key, self.problem, self.line = path, key, problem, line
        # key=None: the block as a whole is wrong (missing, not YAML, not a mapping).
        where = f" front matter key '{key}':" if key is not None else ""
        at = f"{path}:{line}" if line is not None else path
        super().__init__(f"{at}:{where} {problem}")


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps a date-like scalar that is no calendar date as a string.

    (SafeLoader raises a bare ValueError for ``2024-02-30``; kept as text, the key's
    validator reports it by name.)
    """


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


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
    title: str | None  # None: the original's title is not known (never invent one)
    author: str
    blog: str
    url: str | None = None
    date: _dt.date | None = None  # the original's date, when known (``date`` is this blog's)
    text: str = "full"  # one of SOURCE_TEXTS


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


def _source_text(path: str, value: Any) -> str:
    if value is None:
        return "full"
    if value not in SOURCE_TEXTS:
        raise FrontMatterError(path, "source.text", f"must be one of {', '.join(SOURCE_TEXTS)} "
                               f"(how much of the original was read), got {value!r}")
    return value


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


def _date(path: str, key: str, value: Any) -> _dt.date:
    """The date under ``key`` (a YAML date, or text written YYYY-MM-DD)."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    m = _DATE_RE.match(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise FrontMatterError(path, key, f"must be a date written YYYY-MM-DD, got {value!r}")
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as err:
        raise FrontMatterError(
            path, key, f"{value.strip()} is not a calendar date ({err}); write YYYY-MM-DD"
        ) from None


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
    date = _date(path, "date", meta["date"])
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
        title=(
            _nonempty_str(path, "source.title", src["title"])
            if src.get("title") is not None else None
        ),
        author=_nonempty_str(path, "source.author", src["author"]),
        blog=_nonempty_str(path, "source.blog", src["blog"]),
        url=_url(path, "source.url", src["url"]) if src.get("url") is not None else None,
        date=_date(path, "source.date", src["date"]) if src.get("date") is not None else None,
        text=_source_text(path, src.get("text")),
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


def split(raw: str, path: str) -> tuple[str, str]:
    """``(yaml_block, body)`` of a post's text ``raw``, cut on whole lines as MkDocs does.

    The block is the text between an opening line ``---`` and the first following line
    that is ``---`` or ``...`` (trailing spaces and tabs allowed on both).
    """
    opening = _OPEN_RE.match(raw)
    if opening is None:
        raise FrontMatterError(
            path, None,
            "front matter missing: a post must start with a YAML block between '---' lines",
        )
    closing = _CLOSE_RE.search(raw, opening.end())
    if closing is None:
        if _CLOSE_AT_END_RE.search(raw, opening.end()):
            problem = "front matter's closing '---' line must end with a line break"
        else:
            problem = "front matter is not closed by a '---' line"
        raise FrontMatterError(path, None, problem)
    return raw[opening.end() : closing.start()], raw[closing.end() :]


def _yaml_error(path: str, block: str, err: yaml.YAMLError) -> FrontMatterError:
    """One line naming the file's line and, where it can be told, the top-level key."""
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    problem_mark = getattr(err, "problem_mark", None)
    context_mark = getattr(err, "context_mark", None)
    # A context mark in column 0 is the start of the whole mapping: no help. Elsewhere
    # it is where the faulty value starts (an unclosed quote or bracket).
    mark = context_mark if context_mark is not None and context_mark.column > 0 else problem_mark
    detail = f"{context}: {problem}" if context else problem
    if mark is None:
        return FrontMatterError(path, None, f"front matter is not valid YAML: {detail}")
    # Line 1 of the file is the opening '---'; YAML's lines are 0-based.
    line = mark.line + 2
    if problem_mark is not None and problem_mark.line != mark.line:
        detail += f" (at line {problem_mark.line + 2})"
    detail = " ".join(detail.split())
    key = None
    for text in reversed(block.split("\n")[: mark.line + 1]):
        m = _TOP_KEY_RE.match(text)
        if m:
            key = m[1]
            break
    near = f" (key '{key}')" if key is not None else ""
    error = FrontMatterError(path, None, f"front matter is not valid YAML{near}: {detail}", line)
    error.key = key
    return error


def load(raw: str, path: str) -> dict[str, Any]:
    """The YAML block between the ``---`` lines that open ``raw`` (a post's text)."""
    block, _ = split(raw, path)
    try:
        meta = yaml.load(block, Loader=_Loader) or {}
    except yaml.YAMLError as err:
        raise _yaml_error(path, block, err) from None
    except (ValueError, TypeError) as err:  # a constructor's own error, e.g. `!!int abc`
        raise FrontMatterError(path, None, f"front matter is not valid YAML: {err}") from None
    if not isinstance(meta, dict):
        raise FrontMatterError(
            path, None,
            f"front matter must be a YAML mapping of keys to values, not a {type(meta).__name__}",
        )
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
