"""A hostile or careless block cannot break the build, another post, the sources or the last
good site; bad input is reported as one clear line naming the file (small throwaway sites)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .sitetools import make_project, post, run_build

BLOCK = '```python exec="on"{opts}\n{code}\n```\n'


def _block(code: str, **opts: str) -> str:
    return BLOCK.format(code=code, opts="".join(f' {k}="{v}"' for k, v in opts.items()))


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_exit_in_a_block_fails_the_build_naming_page_line_and_how(tmp_path):
    text = post("前文。\n\n" + _block("import os\nos._exit(0)"))
    project = make_project(tmp_path, {"exit.md": text})
    b = run_build(project, tmp_path / "site")
    assert b.returncode != 0
    assert "docs/posts/exit.md" in b.log and f"line {_line_of(text, 'exec=')}" in b.log
    assert "exited with code 0" in b.log and "WorkerDied" in b.log


def test_posts_do_not_leak_state_into_each_other(tmp_path):
    """cwd, sys.path and RNG seeds set by one post never change what another prints, whether
    the first executes in the same build or not, and whatever the number of workers."""
    vandal = post(
        _block(
            "import os, sys, random, numpy as np\nos.chdir('/tmp'); sys.path.insert(0, '/x')\n"
            "random.seed(42); np.random.seed(42)\nprint('done')",
            session="v",
        ),
        slug="a-vandal",
    )
    probe = post(
        _block(
            "import os, sys, random, numpy as np\n"
            "print(os.path.isfile('mkdocs.yml'), '/x' in sys.path, random.random(),"
            " np.random.rand())",
            session="p",
        ),
        slug="b-probe",
    )
    outputs = []
    for name, posts, workers in [
        ("both-1", {"a.md": vandal, "b.md": probe}, "1"),
        ("both-2", {"a.md": vandal, "b.md": probe}, "2"),
        ("alone", {"b.md": probe}, "1"),
    ]:
        project = make_project(tmp_path / name, posts)
        b = run_build(project, tmp_path / name / "site", extra_env={"BLOGCODE_WORKERS": workers})
        assert b.returncode == 0, b.log[-3000:]
        page = b.page("b-probe")
        start = page.index("<p>", page.index("bc-exec-result"))
        outputs.append(page[start: page.index("</p>", start)])
    assert outputs[0] == outputs[1] == outputs[2], outputs
    assert outputs[0].startswith("<p>True False "), outputs[0]  # project root; no '/x'



def test_a_block_that_writes_the_sources_fails_and_the_sources_stay(tmp_path):
    text = post(_block("open('docs/about.md', 'w').write('vandalised')"))
    project = make_project(tmp_path, {"w.md": text})
    about = (project / "docs/about.md").read_bytes()
    b = run_build(project, tmp_path / "site")
    assert b.returncode != 0
    assert "post code may not write docs/about.md" in b.log and "docs/posts/w.md" in b.log
    assert (project / "docs/about.md").read_bytes() == about


def test_a_write_that_bypasses_python_is_caught_after_the_fact(tmp_path):
    code = "import subprocess\nsubprocess.run(['sh', '-c', 'echo x >> docs/about.md'], check=True)"
    project = make_project(tmp_path, {"sub.md": post(_block(code))})
    b = run_build(project, tmp_path / "site")
    assert b.returncode != 0
    assert "post code changed files it may not touch" in b.log
    assert "modified docs/about.md" in b.log


def test_huge_output_fails_clearly(tmp_path):
    project = make_project(tmp_path, {"big.md": post(_block("print('x' * (50 << 20))"))})
    b = run_build(project, tmp_path / "site")
    assert b.returncode != 0
    assert "OutputLimitError" in b.log and "more than 4 MiB" in b.log
    assert "docs/posts/big.md" in b.log


def test_syntax_error_names_the_line_of_the_markdown_file(tmp_path):
    text = post("前文。\n\n" + _block("x = 1\ny = (2,\nz = 3"))
    project = make_project(tmp_path, {"syn.md": text})
    b = run_build(project, tmp_path / "site")
    assert b.returncode != 0
    want = _line_of(text, "y = (2,")
    assert f'File "docs/posts/syn.md", line {want}' in b.log and "y = (2," in b.log


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: post().replace("date: 2024-05-24", "date: 2024-02-30"),
         ["docs/posts/p.md", "'date'", "2024-02-30 is not a calendar date"]),
        (lambda: post(_block("print(1)", timeout="ten")),
         ['docs/posts/p.md:', 'timeout="ten" is not a number of seconds']),
        (lambda: post(_block("print(1)", memory="lots")),
         ['memory="lots" is not a size']),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, make, expected):
    project = make_project(tmp_path, {"p.md": make()})
    b = run_build(project, tmp_path / "site")
    assert b.returncode != 0
    for part in expected:
        assert part in b.log, b.log[-2000:]
    assert "Traceback" not in b.log


def test_dashes_inside_a_quoted_title_are_not_the_end_of_the_front_matter(tmp_path):
    text = post().replace("title: 测试文章", 'title: "甲 --- 乙"')
    project = make_project(tmp_path, {"t.md": text})
    b = run_build(project, tmp_path / "site")
    assert b.returncode == 0, b.log[-2000:]
    assert "甲 --- 乙" in b.page("test-post")


def test_malformed_cache_entry_is_a_counted_miss(tmp_path):
    project = make_project(tmp_path, {"c.md": post(_block("print(6 * 7)"))})
    first = run_build(project, tmp_path / "site", cache="on")
    assert first.returncode == 0, first.log[-2000:]
    (record,) = (tmp_path / "cache").rglob("*.json")
    record.write_text(json.dumps({"html": 1, "modules": []}))
    second = run_build(project, tmp_path / "site", cache="on")
    assert second.returncode == 0, second.log[-2000:]
    assert second.report["counts"] == {"executed": 1}
    assert second.report["cache_malformed"] == [str(record.relative_to(tmp_path / "cache"))]
    assert "1 malformed cache entry ignored" in second.log
    assert "42" in second.page("test-post")


def test_parallel_cold_build_is_byte_identical_to_a_serial_one(tmp_path):
    posts = {
        f"p{i}.md": post(
            _block(f"import numpy as np\nx = np.random.rand(4) * {i}", session="s")
            + "\n" + _block("print(round(float(x.sum()), 12))", session="s"),
            slug=f"post-{i}",
        )
        for i in range(3)
    }
    sites = []
    for workers in ("1", "2"):
        project = make_project(tmp_path / workers, posts)
        b = run_build(project, tmp_path / workers / "site", extra_env={"BLOGCODE_WORKERS": workers})
        assert b.returncode == 0, b.log[-2000:]
        assert b.report["execution"]["workers"] == int(workers)
        sites.append({
            str(p.relative_to(b.site)): p.read_bytes() for p in sorted(b.site.rglob("*"))
            if p.is_file() and p.suffix in (".html", ".xml", ".json")
        })
    assert sites[0].keys() == sites[1].keys()
    differ = [k for k in sites[0] if sites[0][k] != sites[1][k]]
    assert not differ, differ


def test_a_failed_build_keeps_the_last_good_site(tmp_path):
    project = make_project(tmp_path, {"ok.md": post("第一版。")})
    site = tmp_path / "site"

    def sitebuild():
        return subprocess.run(
            [sys.executable, "-m", "blogcode.publish.sitebuild", "--site-dir", str(site),
             "-f", str(project / "mkdocs.yml")],
            cwd=project, capture_output=True, text=True, timeout=600,
            env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1", "BLOGCODE_CACHE": "off"},
        )

    assert sitebuild().returncode == 0
    good = (site / "test-post/index.html").read_bytes()
    assert "第一版".encode() in good
    (project / "docs/posts/ok.md").write_text(post(_block("1 / 0")), encoding="utf-8")
    failed = sitebuild()
    assert failed.returncode != 0 and "still holds the last good site" in failed.stderr
    assert (site / "test-post/index.html").read_bytes() == good
    assert not list(tmp_path.glob(".site-build-*"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read().decode("utf-8")


def _wait_for(url: str, needle: str, proc: subprocess.Popen, seconds: float = 240) -> str:
    deadline = time.monotonic() + seconds
    page = ""
    while time.monotonic() < deadline:
        assert proc.poll() is None, "mkdocs serve exited"
        try:
            page = _get(url)
            if needle in page:
                return page
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{needle!r} never appeared at {url}; last page: {page[-1500:]}")


def test_serve_shows_errors_on_the_page_and_recovers(tmp_path):
    import os

    good = post("正文第一版。\n\n" + _block("print('块输出', 6 * 7)"))
    project = make_project(tmp_path, {"s.md": good.replace("date: 2024-05-24", "date: 2024-02-30")})
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-f", str(project / "mkdocs.yml"),
         "-a", f"127.0.0.1:{port}", "--livereload"],
        cwd=project, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "BLOGCODE_CACHE": "off"},
    )
    url = f"http://127.0.0.1:{port}/test-post/"
    src = project / "docs/posts/s.md"
    try:
        # A front-matter error: the post's address shows it (the server does not hang).
        page = _wait_for(url, "2024-02-30 is not a calendar date", proc)
        assert "bc-frontmatter-error" in page
        src.write_text(good, encoding="utf-8")  # fixed: the real post comes back
        _wait_for(url, "块输出 42", proc)
        # A failing block, and one that writes into docs/: shown on the page, no rebuild loop.
        bad = good.replace("print('块输出', 6 * 7)", "open('docs/about.md', 'a').write('x')")
        src.write_text(bad, encoding="utf-8")
        page = _wait_for(url, "代码块执行失败", proc)
        assert "post code may not write docs/about.md" in page
        time.sleep(3)
        builds = (tmp_path / "serve.log").read_text().count("Building documentation")
        time.sleep(3)
        assert (tmp_path / "serve.log").read_text().count("Building documentation") == builds
        # A block that ends its process takes only its worker down, not the server.
        src.write_text(good.replace("print('块输出', 6 * 7)", "import os\nos._exit(0)"))
        page = _wait_for(url, "exited with code 0", proc)
        src.write_text(good, encoding="utf-8")
        _wait_for(url, "块输出 42", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "docs/posts/s.md" in text and "'date'" in text  # and the terminal says it too


def test_math_errors_fail_the_build_naming_file_and_line(tmp_path):
    body = (
        "一个未定义的宏：$\\foo x$。\n\n"
        "引用不存在的公式 $\\eqref{eq:nowhere}$。\n\n"
        "未转换的公式：\n$$\na = b\n$$\n"
    )
    text = post(body)
    project = make_project(tmp_path, {"m.md": text})
    b = run_build(project, tmp_path / "site")
    assert b.returncode != 0
    for needle, what in [("\\foo x", "\\foo"), ("eq:nowhere", "eq:nowhere"), ("a = b", "$$")]:
        line = _line_of(text, needle) if needle != "a = b" else _line_of(text, "$$")
        hits = [x for x in b.log.splitlines() if f"docs/posts/m.md:{line}: math:" in x]
        assert hits and what in hits[0], (needle, b.log[-3000:])
