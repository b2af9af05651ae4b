"""Find the executable blocks of a Markdown page and tag each with an id.

The fence formatter that superfences calls only sees a block's code, not where
it came from.  Before Markdown conversion the plugin calls :func:`scan`, which
records each executable block (page, line, code, options, session) and rewrites
its opening fence to carry ``bcblock="<page>#<n>"``.  The formatter looks the block
up by that id, so it can name the page and line in errors, and knows which
blocks of the same session precede it (their code is part of the cache key).

:func:`block_options` checks a block's fence options and returns them typed
(:class:`BlockOptions`), or raises :class:`BlockOptionError` naming the page,
the line, the option and what is expected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TypeVar

EXEC_LANGS = ("python", "py")
_OPEN_RE = re.compile(
    r"^(?P<indent>[ \t]*(?:>[ \t]*)*)(?P<fence>`{3,}|~{3,})"
    r"[ \t]*\{?[ \t]*\.?(?P<lang>[\w+-]+)(?P<rest>[^`\n]*)$"
)
_OPT_RE = re.compile(r'([\w-]+)="([^"]*)"')
TRUE = {"1", "on", "true", "yes"}
FALSE = {"0", "off", "false", "no"}
BLOCK_ATTR = "bcblock"
#: The fence options an executable block understands.
OPTIONS = frozenset({"exec", "session", "source", "html", "result", "timeout", "memory", "title"})
#: Values of ``source``: where the block's source is shown ("" = not shown).
SOURCE_MODES = frozenset({"", "above", "below", "tabbed-left", "tabbed-right"})
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:([KMGT])(i?B)?|(B))?\s*$", re.IGNORECASE)
_SIZE_POWERS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4}
_SIZE_UNITS = (("KiB", 1), ("MiB", 2), ("GiB", 3), ("TiB", 4))


@dataclass(frozen=True)
class BlockSpec:
    """One executable block of a page, as written in the Markdown source."""

    page: str  # path of the Markdown file relative to docs_dir
    index: int  # position among the page's executable blocks (0-based)
    line: int  # 1-based line of the opening fence in the file
    code: str
    options: tuple[tuple[str, str], ...]  # fence options, sorted, without bc-block
    session: str | None
    previous: tuple[BlockSpec, ...] = field(default=(), repr=False)  # earlier blocks of the session

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    def option(self, name: str, default: str = "") -> str:
        return dict(self.options).get(name, default)


class BlockOptionError(ValueError):
    """A fence option of an executable block is unknown or has a bad value.

    The message is one line: ``page:line: problem``.
    """

    def __init__(self, where: str, option: str | None, problem: str):
        self.where, self.option, self.problem = where, option, problem
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class BlockOptions:
    """The fence options of an executable block, checked and typed."""

    exec: bool = False
    session: str | None = None
    source: str = ""  # one of SOURCE_MODES
    html: bool = False  # stdout is raw HTML
    result: str = ""  # show stdout as a code block in this language
    timeout: float | None = None  # seconds, > 0
    memory: int | None = None  # bytes, > 0
    title: str = ""


def parse_size(text: str) -> int:
    """Bytes in a size written ``512M``, ``1.5G``, ``800MB``, ``4GiB``, ``1000000``...

    The units K, M, G, T (case-insensitive, with an optional ``B`` or ``iB``) are
    powers of 1024; a fractional result is rounded down.  Raises ValueError.
    """
    m = _SIZE_RE.match(text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (write e.g. '2G', '512M' or '1000000')")
    try:
        number = Decimal(m[1])
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"not a size: {text!r}") from None
    return int(number * 1024 ** _SIZE_POWERS[(m[2] or "").upper()])


def format_size(n: int) -> str:
    """``n`` bytes in the largest binary unit it reaches: ``4 GiB``, ``1.5 MiB``, ``100 B``.

    At most two decimals, so the text is exact for whole numbers of a unit and
    within 0.5 % otherwise; :func:`parse_size` reads it back.
    """
    if abs(n) < 1024:
        return f"{n} B"
    for unit, power in _SIZE_UNITS:  # KiB up to TiB
        value = round(n / 1024**power, 2)
        if abs(value) < 1024 or unit == _SIZE_UNITS[-1][0]:
            break
    return f"{value:.2f}".rstrip("0").rstrip(".") + f" {unit}"


def _flag(spec: BlockSpec, name: str) -> bool:
    value = spec.option(name).lower()
    if value in TRUE:
        return True
    if value in FALSE or value == "":
        return False
    raise BlockOptionError(
        spec.where, name, f'{name}="{spec.option(name)}" is not on or off (write e.g. {name}="on")'
    )


_N = TypeVar("_N", int, float)


def _positive(
    spec: BlockSpec, name: str, parse: Callable[[str], _N], what: str, example: str
) -> _N | None:
    """Option ``name`` read by ``parse`` and checked finite and positive (None if absent)."""
    text = spec.option(name)
    if not text:
        return None
    hint = f'(write e.g. {name}="{example}")'
    try:
        value = parse(text)
    except ValueError:
        raise BlockOptionError(spec.where, name, f'{name}="{text}" is not {what} {hint}') from None
    if not math.isfinite(value) or value <= 0:
        raise BlockOptionError(
            spec.where, name, f'{name}="{text}" must be a positive {what[2:]} {hint}'
        )
    return value


def block_options(spec: BlockSpec) -> BlockOptions:
    """The options of ``spec``, checked; raise BlockOptionError for the first bad one.

    An option written with an empty value (``timeout=""``) counts as absent.
    """
    unknown = sorted({name for name, _ in spec.options} - OPTIONS)
    if unknown:
        raise BlockOptionError(
            spec.where, unknown[0],
            f"unknown option(s) {unknown} on an executable block; known: {sorted(OPTIONS)}",
        )
    source = spec.option("source")
    if source not in SOURCE_MODES:
        modes = sorted(SOURCE_MODES - {""})
        raise BlockOptionError(spec.where, "source", f'source="{source}" is not one of {modes}')

    timeout = _positive(spec, "timeout", float, "a number of seconds", "30")
    memory = _positive(spec, "memory", parse_size, "a size", "2G")

    return BlockOptions(
        exec=_flag(spec, "exec"),
        session=spec.option("session") or None,
        source=source,
        html=_flag(spec, "html"),
        result=spec.option("result"),
        timeout=timeout,
        memory=memory,
        title=spec.option("title"),
    )


def parse_options(rest: str) -> dict[str, str]:
    return {k: v for k, v in _OPT_RE.findall(rest)}


def scan(markdown: str, page: str, line_offset: int = 0) -> tuple[str, list[BlockSpec]]:
    """Return ``(rewritten_markdown, blocks)`` for the page ``page``.

    ``line_offset`` is the number of file lines before the Markdown text (the
    front matter), so that reported lines are lines of the file.
    """
    lines = markdown.split("\n")
    out: list[str] = []
    blocks: list[BlockSpec] = []
    sessions: dict[str, list[BlockSpec]] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _OPEN_RE.match(line)
        if not m:
            out.append(line)
            i += 1
            continue
        indent, fence, lang, rest = m["indent"], m["fence"], m["lang"], m["rest"]
        # Find the closing fence: same character, at least as long, same indentation.
        close = re.compile(
            r"^" + re.escape(indent.rstrip()) + r"[ \t]*"
            + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$"
        )
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        opts = parse_options(rest)
        is_exec = lang in EXEC_LANGS and opts.get("exec", "").lower() in TRUE
        if not is_exec or j >= len(lines):
            out.extend(lines[i : j + 1])
            i = j + 1
            continue
        body = lines[i + 1 : j]
        strip = len(indent)
        code = "\n".join(b[strip:] if b[:strip].strip() in ("", ">") else b.lstrip() for b in body)
        session = opts.get("session") or None
        options = tuple(sorted((k, v) for k, v in opts.items() if k != BLOCK_ATTR))
        spec = BlockSpec(
            page=page,
            index=len(blocks),
            line=line_offset + i + 1,
            code=code,
            options=options,
            session=session,
            previous=tuple(sessions.get(session, [])) if session else (),
        )
        blocks.append(spec)
        if session:
            sessions.setdefault(session, []).append(spec)
        out.append(f'{line.rstrip()} {BLOCK_ATTR}="{page}#{spec.index}"')
        out.extend(lines[i + 1 : j + 1])
        i = j + 1
    return "\n".join(out), blocks


def front_matter_lines(raw: str, markdown: str) -> int:
    """Number of lines of ``raw`` (the file) that precede ``markdown`` (its body)."""
    probe = markdown.lstrip("\n")[:200]
    pos = raw.find(probe) if probe else -1
    if pos < 0:
        return 0
    return raw.count("\n", 0, pos)
