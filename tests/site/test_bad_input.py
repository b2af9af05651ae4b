"""Bad input fails the strict build with a message that says what and where."""

from __future__ import annotations

import pytest

from .sitetools import make_project, post, run_build


def _build(tmp_path, posts, **kw):
    project = make_project(tmp_path, posts)
    return run_build(project, tmp_path / "site", **kw)


def test_raising_block_fails_build_naming_page_line_and_exception(tmp_path):
    body = (
        'ok\n\n```python exec="on" session="s"\nx = 1\n```\n\n'
        '```python exec="on" session="s"\nraise ZeroDivisionError("boom in block")\n```\n'
    )
    b = _build(tmp_path, {"bad.md": post(body)}, cache="on")
    assert b.returncode != 0
    assert "docs/posts/bad.md" in b.log
    lines = post(body).splitlines()
    line = [i for i, text in enumerate(lines, 1) if text.startswith("```python")][1]
    assert f"line {line}" in b.log, b.log[-3000:]
    assert "ZeroDivisionError" in b.log and "boom in block" in b.log
    # A failing block is never cached: only the good block has a record.
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1


def test_block_time_limit(tmp_path):
    body = '```python exec="on" timeout="1"\nimport time\nwhile True:\n    time.sleep(0.01)\n```\n'
    b = _build(tmp_path, {"slow.md": post(body)})
    assert b.returncode != 0
    assert "time limit of 1 s" in b.log and "docs/posts/slow.md" in b.log
    assert "errors in strict mode!" in b.log  # MkDocs' own output is not lost


@pytest.mark.parametrize(
    "extra, key",
    [
        ("", None),  # control: valid
        ("sorce: x\n", "sorce"),
        ("papers:\n  - title: X\n    arxiv: 'not-an-id'\n", "papers[0].arxiv"),
        ("series:\n  name: S\n  order: zero\n", "series.order"),
    ],
)
def test_front_matter_keys(tmp_path, extra, key):
    b = _build(tmp_path, {"p.md": post(extra=extra)})
    if key is None:
        assert b.returncode == 0, b.log[-3000:]
    else:
        assert b.returncode != 0
        assert "docs/posts/p.md" in b.log and f"'{key}'" in b.log, b.log[-2000:]


def test_missing_source_fails(tmp_path):
    text = post().replace("source:\n  title: 原文\n  author: 作者\n  blog: 博客\n", "")
    b = _build(tmp_path, {"nosrc.md": text})
    assert b.returncode != 0
    assert "docs/posts/nosrc.md" in b.log and "'source'" in b.log and "is required" in b.log


def test_non_ascii_slug_fails(tmp_path):
    b = _build(tmp_path, {"zh.md": post(slug="状态空间")})
    assert b.returncode != 0
    assert "docs/posts/zh.md" in b.log and "'slug'" in b.log and "ASCII" in b.log


def test_unknown_category_fails(tmp_path):
    """Categories are declared once (blogcode.publish.slugs), not in mkdocs.yml: still checked."""
    text = post().replace("  - 数学\n", "  - 杂谈\n")
    b = _build(tmp_path, {"cat.md": text})
    assert b.returncode != 0
    assert "docs/posts/cat.md" in b.log and "categories[0]" in b.log
    assert "unknown category '杂谈'" in b.log and "known: 状态空间模型" in b.log


def test_listing_pages_do_not_execute(tmp_path):
    """The post appears on the index, archive and category pages; its block runs once."""
    marker = tmp_path / "runs.txt"
    body = f'```python exec="on"\nopen({str(marker)!r}, "a").write("x")\nprint("ran")\n```\n'
    b = _build(tmp_path, {"once.md": post(body)}, cache="off")
    assert b.returncode == 0, b.log[-3000:]
    assert marker.read_text() == "x"
    assert b.report["counts"] == {"executed": 1}


def test_second_build_executes_nothing_and_prose_edit_reuses_results(tmp_path):
    """The cache works across processes: a rebuild, and one after a prose edit, execute nothing."""
    body = (
        '```python exec="on" session="s"\nx = 2\n```\n\n'
        '```python exec="on" session="s"\nprint(x * 21)\n```\n'
    )
    project = make_project(tmp_path, {"c.md": post(body)})
    first = run_build(project, tmp_path / "site", cache="on")
    assert first.returncode == 0 and first.report["counts"] == {"executed": 2}, first.log[-2000:]
    second = run_build(project, tmp_path / "site", cache="on")
    assert second.report["counts"] == {"cached": 2}
    (project / "docs/posts/c.md").write_text(post("新加的一段话。\n\n" + body), encoding="utf-8")
    third = run_build(project, tmp_path / "site", cache="on")
    assert third.report["counts"] == {"cached": 2}
    assert "42" in third.page("test-post")
