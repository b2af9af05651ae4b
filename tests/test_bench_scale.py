"""The N-times copy of the site behind ``nox -s bench_build -- --scale N`` (no build here).

Most tests copy a small made-up project, so they never depend on the posts others are
editing; one copies the real project and only checks what its posts allow (a post that
does not parse while someone edits it is left out of that check).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from pathlib import Path

import pytest
from mkdocs.utils import meta as mkdocs_meta

from blogcode.publish import frontmatter
from blogcode.publish.blocks import front_matter_lines, scan
from blogcode.publish.slugs import CATEGORY_SLUGS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_build  # noqa: E402
import scale_site  # noqa: E402

CATEGORY = next(iter(CATEGORY_SLUGS))
POST_A = f"""---
title: "甲：一个: 带冒号的标题"
date: 2026-01-02
slug: alpha-post
categories:
  - {CATEGORY}
source:
  author: 某人
  blog: 某博客
series:
  name: 测试系列
  order: 1
tags:
  - x
---

第一段，链接到 [乙](beta.md)。

<!-- more -->

```python exec="on" session="alpha-post" source="above"
x = 1
print(x)
```

!!! note

    ```python exec="on" session="alpha-post"
    print(x + 1)
    ```

```python exec="on" session="scratch"
print(2)
```

```python exec="on"
print(3)
```

```python
# not executed: session="alpha-post" stays as written here
```
"""
POST_B = f"""---
title: >-
  乙：折叠的
  标题
slug: beta
date: 2026-01-03
categories: [{CATEGORY}]
source: {{author: 某人, blog: 某博客}}
series: {{name: 测试系列, order: 2}}
---

正文，回到 [甲](alpha.md)。

<!-- more -->

```python exec="on" session="beta"
print("b")
```
"""


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "docs/posts").mkdir(parents=True)
    (src / "docs/assets").mkdir()
    (src / "overrides").mkdir()
    (src / "blogcode").mkdir()
    (src / "node_modules/mathjax").mkdir(parents=True)
    (src / "docs/index.md").write_text("# 首页\n")
    (src / "docs/assets/extra.css").write_text("body {}\n")
    (src / "docs/posts/alpha.md").write_text(POST_A)
    (src / "docs/posts/beta.md").write_text(POST_B)
    (src / "overrides/main.html").write_text("{% extends 'base.html' %}\n")
    (src / "blogcode/__init__.py").write_text("")
    (src / "mkdocs.yml").write_text("site_name: t\n")
    (src / ".cache").mkdir()
    (src / ".cache/blogcode-durations.json").write_text(json.dumps(
        {"docs/posts/alpha.md#alpha-post": 2.0, "docs/posts/alpha.md#3": 0.5}
    ))
    return src


def posts_of(site: scale_site.ScaledSite) -> dict[str, tuple[frontmatter.PostMeta, list]]:
    out = {}
    for rel in site.posts:
        raw = (site.root / rel).read_text(encoding="utf-8")
        meta = frontmatter.parse(raw, rel)
        markdown, _ = mkdocs_meta.get_data(raw)
        _, blocks = scan(markdown, rel, front_matter_lines(raw, markdown))
        out[rel] = (meta, blocks)
    return out


def test_every_post_appears_n_times_as_valid_posts(project: Path, tmp_path: Path) -> None:
    site = scale_site.make_site(project, tmp_path / "copy", 3)
    assert site.originals == ["docs/posts/alpha.md", "docs/posts/beta.md"]
    assert site.copies["docs/posts/alpha.md"] == [
        "docs/posts/alpha-x2.md", "docs/posts/alpha-x3.md"
    ]
    assert len(site.posts) == 6
    assert sorted(p.name for p in (site.root / "docs/posts").glob("*.md")) == sorted(
        Path(p).name for p in site.posts
    )
    metas = [m for m, _ in posts_of(site).values()]  # parse() raises for invalid front matter
    frontmatter.check_unique_slugs(metas)
    assert sorted(m.slug for m in metas) == sorted(
        f"{s}{x}" for s in ("alpha-post", "beta") for x in ("", "-x2", "-x3")
    )
    assert len({m.title for m in metas}) == 6
    by_slug = {m.slug: m for m in metas}
    assert by_slug["alpha-post-x2"].title == "甲：一个: 带冒号的标题 (x2)"
    assert by_slug["beta-x3"].title == "乙：折叠的 标题 (x3)"
    # Each copy is a post of its own series: no two posts share a name and an order.
    series = {(m.series.name, m.series.order) for m in metas}
    assert len(series) == 6
    assert {m.series.name for m in metas} == {"测试系列", "测试系列 (x2)", "测试系列 (x3)"}
    neighbours = frontmatter.series_neighbours(metas)
    assert [p.slug for p in neighbours["beta-x2"][2]] == ["alpha-post-x2", "beta-x2"]
    # The rest of the front matter is the original's.
    a, a2 = by_slug["alpha-post"], by_slug["alpha-post-x2"]
    assert (a2.date, a2.categories, a2.source, a2.tags) == (a.date, a.categories, a.source, a.tags)


def test_sessions_are_renamed_per_copy(project: Path, tmp_path: Path) -> None:
    site = scale_site.make_site(project, tmp_path / "copy", 3)
    posts = posts_of(site)
    for original, copies in site.copies.items():
        _, blocks = posts[original]
        assert blocks
        seen = [{b.session for b in blocks if b.session}]
        for k, copy in enumerate(copies, start=2):
            meta, copied = posts[copy]
            assert [b.code for b in copied] == [b.code for b in blocks]
            for b, c in zip(blocks, copied, strict=True):
                if b.session is None:
                    assert c.session is None  # sessionless: one session per block already
                elif b.session == meta.slug.removesuffix(f"-x{k}"):
                    assert c.session == meta.slug
                else:
                    assert c.session == f"{b.session}-x{k}"
            seen.append({c.session for c in copied if c.session})
        assert all(not (x & y) for i, x in enumerate(seen) for y in seen[i + 1:])
    text = (site.root / "docs/posts/alpha-x2.md").read_text()
    assert '# not executed: session="alpha-post" stays' in text
    assert 'session="scratch-x2"' in text


def test_links_point_at_the_originals_and_pages_are_copied(
    project: Path, tmp_path: Path
) -> None:
    site = scale_site.make_site(project, tmp_path / "copy", 2)
    assert "[乙](beta.md)" in (site.root / "docs/posts/alpha-x2.md").read_text()
    for rel in ("docs/index.md", "docs/assets/extra.css", "overrides/main.html", "mkdocs.yml",
                "blogcode/__init__.py"):
        assert (site.root / rel).read_bytes() == (project / rel).read_bytes()
    assert (site.root / "node_modules").is_symlink()
    assert (site.root / "node_modules").resolve() == (project / "node_modules").resolve()
    assert not (site.root / "blogcode").is_symlink()  # a snapshot: edits stay in the copy
    durations = json.loads((site.root / ".cache/blogcode-durations.json").read_text())
    assert durations["docs/posts/alpha-x2.md#alpha-post-x2"] == 2.0
    assert durations["docs/posts/alpha-x2.md#3"] == 0.5


def test_scale_one_is_the_project_and_rescaling_replaces_the_docs(
    project: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "copy"
    scale_site.make_site(project, dest, 3)
    (dest / "blogcode/__init__.py").write_text("# edited in the copy\n")
    site = scale_site.make_site(project, dest, 1)
    assert site.posts == ["docs/posts/alpha.md", "docs/posts/beta.md"]
    assert tree_hash(dest / "docs") == tree_hash(project / "docs")
    assert (dest / "blogcode/__init__.py").read_text() == "# edited in the copy\n"  # kept


def test_post_selection(project: Path, tmp_path: Path) -> None:
    site = scale_site.make_site(project, tmp_path / "a", 2, ["al*.md"])
    assert site.posts == ["docs/posts/alpha.md", "docs/posts/alpha-x2.md"]
    site = scale_site.make_site(project, tmp_path / "b", 2, ["!al*.md"])
    assert site.posts == ["docs/posts/beta.md", "docs/posts/beta-x2.md"]


def test_the_source_is_never_written(project: Path, tmp_path: Path) -> None:
    before = tree_hash(project)
    scale_site.make_site(project, tmp_path / "copy", 4)
    assert tree_hash(project) == before
    with pytest.raises(ValueError, match="inside the project"):
        scale_site.make_site(project, project, 2)
    with pytest.raises(ValueError, match="inside the project"):
        scale_site.make_site(project, project / "docs" / "x", 2)
    with pytest.raises(ValueError, match="at least 1"):
        scale_site.make_site(project, tmp_path / "c", 0)


_WRITES: list[str] | None = None  # paths written while recording (see _audit)
# Audit event -> the positions of its arguments that are paths it writes (or removes).
_WRITE_EVENTS = {"os.remove": (0,), "os.rename": (0, 1), "os.rmdir": (0,), "os.mkdir": (0,),
                 "os.symlink": (1,), "os.link": (1,), "os.chmod": (0,), "os.utime": (0,),
                 "os.truncate": (0,), "shutil.rmtree": (0,), "shutil.copyfile": (1,)}


def _audit(event: str, args: tuple) -> None:
    if _WRITES is None:
        return
    paths: list = []
    if event == "open":
        path, mode, flags = args
        writing = (mode is not None and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        )
        if writing:
            paths = [path]
    elif event in _WRITE_EVENTS:
        paths = [args[i] for i in _WRITE_EVENTS[event] if i < len(args)]
    for p in paths:
        if isinstance(p, (str, bytes, os.PathLike)):
            _WRITES.append(os.fsdecode(p))


sys.addaudithook(_audit)


def test_real_project_copy(tmp_path: Path) -> None:
    """Scale 2 of the real project: valid, distinct posts, and nothing written in the tree."""
    global _WRITES
    docs_before = tree_hash(ROOT / "docs")
    valid = []  # posts being edited by others may not parse now: leave those out
    for p in sorted((ROOT / "docs/posts").glob("*.md")):
        try:
            frontmatter.parse(p.read_text(encoding="utf-8-sig"), p.name)
            valid.append(p.name)
        except (frontmatter.FrontMatterError, OSError, UnicodeDecodeError):
            pass
    if not valid:
        pytest.skip("no post of the project parses right now")
    _WRITES = []
    try:
        site = scale_site.make_site(ROOT, tmp_path / "copy", 2, valid)
    finally:
        writes, _WRITES = _WRITES, None
    dest = str((tmp_path / "copy").resolve())
    outside = [
        w for w in writes
        if not os.path.abspath(w).startswith(dest) and "__pycache__" not in w
    ]
    assert not outside, outside
    if tree_hash(ROOT / "docs") != docs_before:  # someone else edited a post meanwhile
        warnings.warn("docs/ changed during the test (not by the copy: no write recorded)",
                      stacklevel=1)
    assert site.originals and len(site.posts) == 2 * len(site.originals)
    metas = []
    for original, (copy,) in site.copies.items():
        raw = (site.root / original).read_text(encoding="utf-8-sig")
        try:
            meta = frontmatter.parse(raw, original)
        except frontmatter.FrontMatterError:
            continue  # being edited: its copy is checked when the original is valid
        copied = frontmatter.parse((site.root / copy).read_text(encoding="utf-8"), copy)
        assert copied.slug == meta.slug + "-x2"
        assert (copied.series is None) == (meta.series is None)
        if meta.series:
            assert copied.series == frontmatter.Series(meta.series.name + " (x2)",
                                                       meta.series.order)
        sessions = []
        for rel in (original, copy):
            text = (site.root / rel).read_text(encoding="utf-8")
            markdown, _ = mkdocs_meta.get_data(text)
            _, blocks = scan(markdown, rel, front_matter_lines(text, markdown))
            sessions.append([b.session for b in blocks])
        assert sessions[1] == [s and (copied.slug if s == meta.slug else s + "-x2")
                               for s in sessions[0]]
        metas += [meta, copied]
    assert metas
    frontmatter.check_unique_slugs(metas)
    frontmatter.series_neighbours(metas)


def test_bench_options() -> None:
    assert bench_build._scales("3,1,3") == [1, 3]
    assert bench_build._scenarios("warm,no-exec") == ["warm", "no-exec"]
    with pytest.raises(Exception, match="unknown scenario"):
        bench_build._scenarios("warm,hot")
    with pytest.raises(Exception, match=">= 1"):
        bench_build._scales("0")
    assert bench_build.slope([1, 2, 3], [2.0, 4.0, 6.0]) == pytest.approx(2.0)
    assert bench_build.slope([23, 46, 69], [5.0, 5.0, 5.0]) == pytest.approx(0.0)
