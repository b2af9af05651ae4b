"""An N-times copy of the site, for ``benchmarks/bench_build.py --scale N``.

:func:`make_site` writes a project into a folder: ``docs/`` (every page and asset),
``mkdocs.yml`` and ``overrides/`` copied, ``blogcode/`` copied as a snapshot (so that the
benchmark's module edit edits the copy, never the library others are editing; the workers
and the plugin import it because a build's working directory comes first on ``sys.path``),
and ``node_modules/`` symlinked.  Every post appears N times: the original and N-1 copies
``docs/posts/<stem>-x<k>.md`` (k = 2..N) whose front matter has the slug ``<slug>-x<k>``,
the title suffix `` (x<k>)`` and, in a series, the series name suffix `` (x<k>)`` (a copy is
a post of a new series, so no two posts share a series order), and whose executable blocks
have the session ``<slug>-x<k>`` (``session="<slug>"``; any other session ``S`` becomes
``S-x<k>``), so each copy is its own session, as a new post would be.  Links between posts
are left alone: a copy's links point at the originals.  Nothing is written outside the
destination folder.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

POSTS = Path("docs/posts")
COPIED = ("docs", "overrides", "mkdocs.yml")
SNAPSHOT = ("blogcode",)  # copied once into a destination, then kept (see module docstring)
LINKED = ("node_modules",)
DURATIONS = Path(".cache/blogcode-durations.json")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")
# MkDocs' front-matter rule (as blogcode.publish.frontmatter.split): an opening '---' line,
# closed by the first following '---' or '...' line.
_OPEN_RE = re.compile(r"-{3}[ \t]*\n")
_CLOSE_RE = re.compile(r"^(?:-{3}|\.{3})[ \t]*\n", re.MULTILINE)
_REWRITTEN_KEYS = re.compile(r"^(?:title|slug|series)[ \t]*:(?:[ \t]|$)")
# The opening line of a fenced block (as blogcode.publish.blocks scans them) that executes.
_FENCE_RE = re.compile(r"^[ \t]*(?:>[ \t]*)*(?:`{3,}|~{3,})[^`\n]*\bexec=\"")
_SESSION_RE = re.compile(r'(\bsession=")([^"]*)(")')


def copy_suffix(k: int) -> str:
    return f"-x{k}"


@dataclass
class ScaledSite:
    root: Path
    scale: int
    originals: list[str] = field(default_factory=list)  # docs/posts/... of the originals
    copies: dict[str, list[str]] = field(default_factory=dict)  # original -> its copies

    @property
    def posts(self) -> list[str]:
        return [p for o in self.originals for p in (o, *self.copies.get(o, []))]


def _split(raw: str, path: str) -> tuple[str, str, str]:
    """``(opening, yaml_block, rest)`` of a post's text, ``rest`` from the closing line on."""
    opening = _OPEN_RE.match(raw)
    closing = _CLOSE_RE.search(raw, opening.end()) if opening else None
    if opening is None or closing is None:
        raise ValueError(f"{path}: no front matter between '---' lines")
    return raw[: opening.end()], raw[opening.end() : closing.start()], raw[closing.start() :]


def _drop_keys(block: str) -> str:
    """The YAML block without its top-level ``title``, ``slug`` and ``series`` entries."""
    out, skipping = [], False
    for line in block.splitlines(keepends=True):
        if _REWRITTEN_KEYS.match(line):
            skipping = True
            continue
        if skipping and (line[:1] in (" ", "\t") or not line.strip()):
            continue  # the entry's continuation (nested keys, folded text)
        skipping = False
        out.append(line)
    text = "".join(out)
    return text if not text or text.endswith("\n") else text + "\n"


def scale_post(raw: str, path: str, k: int) -> str:
    """The text of copy ``k`` (2, 3, ...) of the post whose text is ``raw``."""
    import yaml  # the site's own dependency (as blogcode.publish.frontmatter)

    opening, block, rest = _split(raw, path)
    meta = yaml.safe_load(block) or {}
    slug, title = meta.get("slug"), meta.get("title")
    if not isinstance(slug, str) or not isinstance(title, str):
        raise ValueError(f"{path}: front matter needs a 'slug' and a 'title' to be copied")
    suffix = copy_suffix(k)
    new_slug = slug + suffix
    lines = [
        f"title: {json.dumps(f'{title} (x{k})', ensure_ascii=False)}\n",
        f"slug: {new_slug}\n",
    ]
    series = meta.get("series")
    if isinstance(series, dict) and "name" in series:
        name = json.dumps(f"{series['name']} (x{k})", ensure_ascii=False)
        lines.append(f"series:\n  name: {name}\n  order: {json.dumps(series.get('order'))}\n")

    def session(m: re.Match[str]) -> str:
        old = m[2]
        return m[1] + (new_slug if old == slug else old + suffix) + m[3]

    body = "".join(
        _SESSION_RE.sub(session, line) if _FENCE_RE.match(line) else line
        for line in rest.splitlines(keepends=True)
    )
    return opening + _drop_keys(block) + "".join(lines) + body


def _durations(src: Path, dest: Path, site: ScaledSite) -> None:
    """Seed the copy's session durations (they only order the work) from the project's."""
    try:
        old = json.loads((src / DURATIONS).read_text(encoding="utf-8"))
        assert isinstance(old, dict)
    except (OSError, ValueError, AssertionError):
        return
    new = dict(old)
    for original, copies in site.copies.items():
        for key, seconds in old.items():
            page, _, session = key.rpartition("#")
            if page != original:
                continue
            for k, copy in enumerate(copies, start=2):
                new_session = session if session.isdigit() else session + copy_suffix(k)
                new[f"{copy}#{new_session}"] = seconds
    (dest / DURATIONS).parent.mkdir(parents=True, exist_ok=True)
    (dest / DURATIONS).write_text(json.dumps(new, sort_keys=True, indent=0), encoding="utf-8")


def make_site(
    src: Path, dest: Path, scale: int, posts: list[str] | None = None
) -> ScaledSite:
    """Write the project ``src`` into ``dest`` with every post ``scale`` times; see the module.

    ``posts``: file-name patterns (``ssm-*.md``) of the posts to keep (default: all), and
    ``!pattern`` for posts to leave out; the others are left out of the copy (a kept post's
    links to them then dangle).  ``dest``'s
    earlier docs, theme and config are replaced; its ``blogcode/`` snapshot is kept.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    src, dest = Path(src).resolve(), Path(dest).resolve()
    if dest == src or src in dest.parents:
        raise ValueError(f"refusing to write the copy inside the project itself: {dest}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        target = dest / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        if (src / name).is_dir():
            shutil.copytree(src / name, target, ignore=_IGNORE, symlinks=True)
        else:
            shutil.copy2(src / name, target)
    for name in SNAPSHOT:
        if not (dest / name).exists():
            shutil.copytree(src / name, dest / name, ignore=_IGNORE, symlinks=True)
    for name in LINKED:
        if (src / name).exists() and not (dest / name).exists():
            os.symlink(src / name, dest / name, target_is_directory=True)

    site = ScaledSite(dest, scale)
    post_dir = dest / POSTS
    keep = [pat for pat in posts or () if not pat.startswith("!")]
    drop = [pat[1:] for pat in posts or () if pat.startswith("!")]
    for p in sorted(post_dir.glob("*.md")):
        if (keep and not any(fnmatch.fnmatch(p.name, pat) for pat in keep)) or any(
            fnmatch.fnmatch(p.name, pat) for pat in drop
        ):
            p.unlink()
            continue
        site.originals.append(str(POSTS / p.name))
    taken = {p.name for p in post_dir.glob("*.md")}
    for original in site.originals:
        path = dest / original
        raw = path.read_text(encoding="utf-8-sig")
        site.copies[original] = []
        for k in range(2, scale + 1):
            name = f"{path.stem}{copy_suffix(k)}.md"
            if name in taken:
                raise ValueError(f"{original}: its copy {name} would replace an existing post")
            taken.add(name)
            (post_dir / name).write_text(scale_post(raw, original, k), encoding="utf-8")
            site.copies[original].append(str(POSTS / name))
    _durations(src, dest, site)
    return site
