"""The execution fence without MkDocs: keys, cache hits, replay, failures, time limits."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from markdown import Markdown

from blogcode.publish import fence
from blogcode.publish.blocks import scan
from blogcode.publish.cache import ExecCache, static_key
from blogcode.publish.execution import BlockError, Executor, closure, scan_package

PKG = Path(__file__).resolve().parents[2] / "blogcode"


@pytest.fixture(scope="module")
def shared():
    """One executor (one zygote) for the module: starting one imports torch & co."""
    ex = Executor(PKG.parent, workers=2, timeout=30)
    yield ex
    ex.shutdown()


_SHARED: list[Executor] = []


@pytest.fixture(autouse=True)
def _fresh_build(shared):
    _SHARED[:] = [shared]
    shared.new_build()


def _ctx(cache_dir: Path, graph=None, environment="env-1", executor=None) -> fence.BuildContext:
    if executor is None:
        executor = _SHARED[0]
    return fence.BuildContext(
        cache=ExecCache(cache_dir),
        executor=executor,
        environment=environment,
        graph=graph if graph is not None else scan_package(PKG),
        markdown_factory=lambda: Markdown(extensions=["tables"]),
    )


def _page(*blocks: str, session: str | None = "s") -> str:
    opt = f' session="{session}"' if session else ""
    return "\n\n".join(f'```python exec="on"{opt}\n{b}\n```' for b in blocks)


def _run_page(ctx, text, page="docs/posts/p.md"):
    _, specs = scan(text, page)
    ctx.register(page, specs)
    return [ctx.outcome(s) for s in specs], specs


def test_scan_lines_and_sessions():
    text = "intro\n\n" + _page("a = 1", "print(a)") + "\n\n```python\nnot exec\n```\n"
    out, specs = scan(text, "docs/x.md", line_offset=10)
    assert [s.line for s in specs] == [13, 17]
    assert specs[1].previous == (specs[0],)
    assert 'bcblock="docs/x.md#1"' in out and "not exec" in out


def test_key_ignores_prose_and_depends_on_code_session_and_env():
    _, (a, b) = scan("prose one\n\n" + _page("x = 1", "print(x)"), "docs/p.md")
    _, (a2, b2) = scan("other prose, more lines\n\n\n" + _page("x = 1", "print(x)"), "docs/p.md")
    assert static_key(b, "e") == static_key(b2, "e")  # prose and line numbers do not matter
    _, (_, b3) = scan(_page("x = 2", "print(x)"), "docs/p.md")
    assert static_key(b, "e") != static_key(b3, "e")  # an earlier block of the session does
    assert static_key(b, "e") != static_key(b, "f")  # library versions / device do
    _, (c,) = scan('```python exec="on" session="s" source="above"\nx = 1\n```', "docs/p.md")
    assert static_key(a, "e") != static_key(c, "e")  # options do


def test_cache_hit_executes_nothing(tmp_path):
    text = _page("import blogcode.device\nprint('hello')")
    first, _ = _run_page(_ctx(tmp_path), text)
    assert [o.status for o in first] == ["executed"]
    second, _ = _run_page(_ctx(tmp_path), text)
    assert [o.status for o in second] == ["cached"] and second[0].html == first[0].html


def test_imported_module_recorded_and_edit_invalidates(tmp_path):
    text = _page("from blogcode.device import pick_device\nprint(1)")
    _run_page(_ctx(tmp_path), text)
    graph = scan_package(PKG)
    other = dict(graph)
    other["blogcode.device"] = replace(graph["blogcode.device"], digest="changed")
    outs, _ = _run_page(_ctx(tmp_path, graph=other), text)
    assert outs[0].status == "executed"
    # An unrelated module's edit does not invalidate it (the record now holds "changed").
    third = dict(other)
    third["blogcode.publish.slugs"] = replace(graph["blogcode.publish.slugs"], digest="changed")
    outs, _ = _run_page(_ctx(tmp_path, graph=third), text)
    assert outs[0].status == "cached"


def test_static_closure_follows_package_imports():
    graph = scan_package(PKG)
    got = closure({"blogcode.publish.fence"}, graph)
    want = {"blogcode.publish.cache", "blogcode.publish.execution", "blogcode.publish.blocks"}
    assert want | {"blogcode"} <= got
    assert "blogcode.device" not in got


def test_replay_after_middle_block_changes_matches_cold_build(tmp_path):
    page1 = _page("x = [1]", "x.append(2)", "print(sum(x), len(x))")
    page2 = _page("x = [1]", "x.append(40)", "print(sum(x), len(x))")
    _run_page(_ctx(tmp_path / "warm"), page1)
    _SHARED[0].new_build()
    warm, _ = _run_page(_ctx(tmp_path / "warm"), page2)
    assert [o.status for o in warm] == ["cached", "executed", "executed"]
    _SHARED[0].new_build()
    cold, _ = _run_page(_ctx(tmp_path / "cold"), page2)
    assert warm[2].html == cold[2].html and "41 2" in cold[2].html
    # Only the last block changed: the first two hit, the last replays them silently.
    page3 = _page("x = [1]", "x.append(40)", "print('n =', len(x))")
    _SHARED[0].new_build()
    outs, _ = _run_page(_ctx(tmp_path / "warm"), page3)
    assert [o.status for o in outs] == ["cached", "cached", "executed"]
    assert outs[2].replayed == 2 and "n = 2" in outs[2].html


def test_failure_is_not_cached_and_is_logged(tmp_path, caplog):
    text = _page("x = 1", "1 / 0")
    with caplog.at_level(logging.ERROR, logger="mkdocs.plugins.blogcode"):
        outs, specs = _run_page(_ctx(tmp_path), text)
    assert [o.status for o in outs] == ["executed", "failed"]
    assert "ZeroDivisionError" in outs[1].html and f"line {specs[1].line}" in caplog.text
    assert len(list(tmp_path.rglob("*.json"))) == 1
    outs, _ = _run_page(_ctx(tmp_path), text)
    assert [o.status for o in outs] == ["cached", "failed"]


def test_outcome_reused_within_a_build(tmp_path):
    ctx = _ctx(tmp_path)
    text = _page("import random\nprint(random.random())")
    a, specs = _run_page(ctx, text)
    b = ctx.outcome(specs[0])  # e.g. the excerpt on a listing page
    assert b is a[0] and len(ctx.events) == 1


def test_timeout_names_block(shared):
    text = '```python exec="on" timeout="0.5"\nimport time\nwhile True:\n    time.sleep(0.01)\n```'
    _, specs = scan(text, "docs/t.md")
    with pytest.raises(BlockError, match=r"docs/t.md:1 raised BlockTimeout"):
        shared.run(specs[0])


def test_traceback_points_into_markdown_file(shared):
    text = "para\n\n" + _page("a = 1\nb = 2\nraise KeyError('k')")
    _, specs = scan(text, "docs/tb.md")
    with pytest.raises(BlockError) as e:
        shared.run(specs[0])
    assert 'File "docs/tb.md", line 6' in e.value.tb_text and "raise KeyError" in e.value.tb_text


def test_disabled_execution(tmp_path):
    ctx = _ctx(tmp_path)
    ctx.execute = False
    outs, _ = _run_page(ctx, _page("raise SystemExit"))
    assert outs[0].status == "disabled"


def test_cache_clear_command(tmp_path, capsys):
    from blogcode.publish.cache import main

    _run_page(_ctx(tmp_path), _page("print(1)"))
    assert main(["clear", str(tmp_path)]) == 0
    assert "removed 1" in capsys.readouterr().out
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_later_blocks_of_a_failed_session_are_not_rerun(tmp_path, caplog):
    with caplog.at_level(logging.ERROR, logger="mkdocs.plugins.blogcode"):
        outs, specs = _run_page(_ctx(tmp_path), _page("x = 1", "1 / 0", "print(x)"))
    assert [o.status for o in outs] == ["executed", "failed", "failed"]
    assert caplog.text.count("Execution of a code block failed") == 1
    assert f"block at line {specs[1].line} of session 's' failed" in caplog.text


def test_declared_data_file_invalidates_the_block(tmp_path):
    data = tmp_path / "results.json"
    data.write_text('{"ms": 1}')
    text = _page(
        "from blogcode.publish.deps import depends_on\n"
        f"depends_on({str(data)!r})\nprint(open({str(data)!r}).read())"
    )
    first, _ = _run_page(_ctx(tmp_path / "c"), text)
    again, _ = _run_page(_ctx(tmp_path / "c"), text)
    assert [first[0].status, again[0].status] == ["executed", "cached"]
    data.write_text('{"ms": 2}')
    third, _ = _run_page(_ctx(tmp_path / "c"), text)
    assert third[0].status == "executed" and "2" in third[0].html


def test_tabbed_block_opens_on_the_result(tmp_path):
    text = '```python exec="on" source="tabbed-left"\nprint("**42**")\n```'
    outs, specs = _run_page(_ctx(tmp_path), text)
    html = fence.assemble(specs[0], outs[0], "<pre>src</pre>")
    first, second = html.split("<input")[1:3]
    assert "checked" not in first and "checked" in second  # 源代码 tab left, 结果 tab open
    assert html.index("源代码") < html.index("结果") and "<strong>42</strong>" in html


def test_edited_blogcode_drops_idle_session_workers(shared):
    """Under serve, finished sessions keep their worker; an edit to blogcode retires them."""
    graph = {name: m.digest for name, m in scan_package(PKG).items()}
    shared.keep_idle = 4
    try:
        shared.new_build(graph)
        _, specs = scan(_page("x = 41", "print(x + 1)"), "docs/idle.md")
        assert shared.run(specs[0]).stdout == ""
        assert len(shared._idle) == 1
        shared.new_build(graph)  # nothing changed: the worker stays, and is reused
        assert shared.run(specs[1]).stdout == "42\n" and shared.stats.reused == 1
        shared.new_build({**graph, "blogcode.device": "edited"})
        assert not shared._idle
    finally:
        shared.keep_idle = 0
        shared.new_build()


def test_module_graph_cache_gives_the_parsed_graph(tmp_path):
    """The imports of unchanged modules come from a file; the graph is the one parsing gives."""
    from blogcode.publish import execution

    cache = tmp_path / "modules.json"
    execution._IMPORTS.clear()
    parsed = scan_package(PKG)
    execution._IMPORTS.clear()
    scan_package(PKG, cache)  # writes the file
    execution._IMPORTS.clear()
    from_file = scan_package(PKG, cache)
    assert {n: (m.digest, m.imports) for n, m in from_file.items()} == {
        n: (m.digest, m.imports) for n, m in parsed.items()
    }
    cache.write_text("[not json")  # a damaged file is ignored, and rewritten
    execution._IMPORTS.clear()
    assert scan_package(PKG, cache).keys() == parsed.keys()
    assert cache.read_text().startswith("{")
