"""Find the executable blocks of a Markdown page and tag each with an id.

The fence formatter that superfences calls only sees a block's code, not where
it came from.  Before Markdown conversion the plugin calls :func:`scan`, which
records each executable block (page, line, code, options, session) and rewrites
its opening fence to carry ``bcblock="<page>#<n>"``.  The formatter looks the block
up by that id, so it can name the page and line in errors, and knows which
blocks of the same session precede it (their code is part of the cache key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

EXEC_LANGS = ("python", "py")
_OPEN_RE = re.compile(
    r"^(?P<indent>[ \t]*(?:>[ \t]*)*)(?P<fence>`{3,}|~{3,})"
    r"[ \t]*\{?[ \t]*\.?(?P<lang>[\w+-]+)(?P<rest>[^`\n]*)$"
)
_OPT_RE = re.compile(r'([\w-]+)="([^"]*)"')
TRUE = {"1", "on", "true", "yes"}
BLOCK_ATTR = "bcblock"


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
