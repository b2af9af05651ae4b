"""Blocks run in worker processes: nothing a block does reaches the build, another session,
the sources or the network; limits end runaway blocks with an error naming the block."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from blogcode.publish.blocks import scan
from blogcode.publish.execution import BlockError, Executor, SessionBroken

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ex():
    executor = Executor(
        ROOT, workers=2, timeout=20, memory=1 << 30, output_limit=1 << 20,
        protected=[ROOT / "docs", ROOT / "site", ROOT / "mkdocs.yml"],
    )
    yield executor
    executor.shutdown()


@pytest.fixture(autouse=True)
def _new_build(ex):
    ex.new_build()


def _blocks(*codes: str, page: str = "docs/posts/p.md", session: str | None = "s", opts=""):
    opt = f' session="{session}"' if session else ""
    text = "\n\n".join(f'```python exec="on"{opt}{opts}\n{c}\n```' for c in codes)
    return scan(text, page)[1]


def _error(ex, spec) -> BlockError:
    with pytest.raises(BlockError) as info:
        ex.run(spec)
    return info.value


@pytest.mark.parametrize(
    "code, how",
    [
        ("import os\nos._exit(0)", "exited with code 0"),
        ("import os\nos._exit(1)", "exited with code 1"),
        ("import ctypes\nctypes.string_at(0)", "killed by signal 11 (SIGSEGV)"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "signal 9 (SIGKILL)"),
    ],
)
def test_a_worker_that_dies_is_an_error_naming_block_and_how(ex, code, how):
    (spec,) = _blocks(code, page="docs/posts/die.md")
    err = _error(ex, spec)
    assert err.kind == "WorkerDied" and how in err.message
    assert "docs/posts/die.md:1" in str(err)


def test_the_next_session_is_unaffected_by_a_dead_worker(ex):
    (dead,) = _blocks("import os\nos._exit(3)", page="docs/posts/a.md")
    _error(ex, dead)
    (ok,) = _blocks("print(6 * 7)", page="docs/posts/b.md")
    assert ex.run(ok).stdout == "42\n"


def test_time_limit_kills_a_loop_that_never_returns_to_python(ex):
    (spec,) = _blocks("sum(range(10**12))", opts=' timeout="1.5"')
    t0 = time.perf_counter()
    err = _error(ex, spec)
    assert time.perf_counter() - t0 < 15  # generous: the point is that it returns at all
    assert err.kind == "BlockTimeout" and "time limit of 1.5 s" in err.message
    assert "worker process was killed" in err.tb_text


def test_every_session_starts_from_the_same_state(ex):
    """cwd, sys.path, environment and seeds: what one session changes, the next never sees."""
    probe = (
        "import os, sys, random, numpy as np, torch\n"
        "print(os.getcwd(), len(sys.path), os.environ.get('LEAK'), random.random(),"
        " np.random.rand(), float(torch.rand(1)))"
    )
    (first,) = _blocks(probe, page="docs/posts/one.md")
    before = ex.run(first).stdout
    assert before.startswith(str(ROOT) + " ")
    vandal = _blocks(
        "import os, sys, random, numpy as np, torch\n"
        "os.chdir('/tmp'); sys.path.insert(0, '/nowhere'); os.environ['LEAK'] = '1'\n"
        "random.seed(42); np.random.seed(42); torch.manual_seed(42)",
        probe, page="docs/posts/vandal.md",
    )
    inside = ex.run(vandal[1]).stdout  # the vandal's own session does see its changes
    assert inside.startswith("/tmp ") and " 1 " in inside
    (again,) = _blocks(probe, page="docs/posts/two.md")
    assert ex.run(again).stdout == before


@pytest.mark.parametrize(
    "target",
    ["docs/about.md", "docs/new-file.md", "site/evil/index.html", "mkdocs.yml"],
)
def test_blocks_cannot_write_the_sources_or_the_site(ex, target):
    path = ROOT / target
    before = path.read_bytes() if path.exists() else None
    code = (
        "from pathlib import Path\n"
        f"p = Path({target!r}); p.parent.mkdir(parents=True, exist_ok=True)\n"
        "p.write_text('vandalised')"
    )
    (spec,) = _blocks(code)
    err = _error(ex, spec)
    assert err.kind == "ProtectedPathError"
    assert target.split("/")[0] in err.message and "read-only to blocks" in err.message
    assert (path.read_bytes() if path.exists() else None) == before


def test_blocks_cannot_delete_or_rename_sources(ex):
    for code in ("import os\nos.remove('docs/about.md')",
                 "import os\nos.rename('docs/about.md', '/tmp/about.md')",
                 "import shutil\nshutil.rmtree('docs')"):
        (spec,) = _blocks(code)
        assert "docs" in _error(ex, spec).message
    assert (ROOT / "docs/about.md").is_file()


def test_scratch_folder_is_private_and_removed(ex):
    specs = _blocks(
        "import tempfile, pathlib\nd = pathlib.Path(tempfile.gettempdir())\n"
        "(d / 'x.txt').write_text('ok')\nprint(d)",
    )
    out = ex.run(specs[0]).stdout.strip()
    assert "blogcode-session-" in out
    (other,) = _blocks("import tempfile\nprint(tempfile.gettempdir())", page="docs/posts/o.md")
    assert ex.run(other).stdout.strip() != out
    for _ in range(50):  # removed when the session's worker is closed
        if not os.path.exists(out):
            break
        time.sleep(0.1)
    assert not os.path.exists(out)


@pytest.mark.parametrize(
    "code",
    [
        "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=5)",
        "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=5)",
        "import socket\nsocket.getaddrinfo('example.com', 80)",
    ],
)
def test_network_is_refused_with_a_clear_error(ex, code):
    (spec,) = _blocks(code)
    err = _error(ex, spec)
    assert "network access is disabled in post code" in err.message + err.tb_text
    assert "offline" in err.tb_text


def test_output_past_the_limit_is_an_error(ex):
    (spec,) = _blocks("print('x' * (3 << 20))")
    err = _error(ex, spec)
    assert err.kind == "OutputLimitError" and "more than 1 MiB" in err.message


def test_memory_cap_and_per_block_override(ex):
    (capped,) = _blocks("import numpy as np\na = np.ones(1 << 28)\nprint(a.nbytes)")
    err = _error(ex, capped)
    assert err.kind == "MemoryError" and "limited to 1 GiB" in err.message
    assert 'memory="' in err.message
    (raised,) = _blocks(
        "import numpy as np\na = np.ones(1 << 28)\nprint(a.nbytes)", opts=' memory="4G"'
    )
    assert ex.run(raised).stdout == f"{8 << 28}\n"


def test_syntax_error_names_the_line_of_the_markdown_file(ex):
    text = "intro\n\nmore\n\n```python exec=\"on\"\nx = 1\ny = (2,\n```\n"
    (spec,) = scan(text, "docs/posts/syn.md")[1]
    err = _error(ex, spec)
    assert err.kind == "SyntaxError"
    assert 'File "docs/posts/syn.md", line 7' in err.tb_text and "y = (2," in err.tb_text


def test_later_blocks_of_a_failed_session_are_broken_not_run(ex):
    specs = _blocks("x = 1", "1 / 0", "print(x)")
    ex.submit(specs)
    assert ex.run(specs[0]).stdout == ""
    assert _error(ex, specs[1]).kind == "ZeroDivisionError"
    broken = _error(ex, specs[2])
    assert isinstance(broken, SessionBroken) and broken.failed == specs[1]


def test_sessions_run_in_parallel_and_give_the_serial_results(ex):
    """Two sessions that each wait 1 s overlap in time on two workers; outputs are those of a
    one-worker run."""
    code = "import time, numpy as np\nt0 = time.time(); time.sleep(1.0)\nprint(t0, time.time())"
    pages = [_blocks(code, "print(np.random.rand(3).sum())", page=f"docs/posts/par{i}.md")
             for i in range(2)]
    for blocks in pages:
        ex.submit(blocks)
    spans = [tuple(map(float, ex.run(b[0]).stdout.split())) for b in pages]
    (a0, a1), (b0, b1) = spans
    assert a0 < b1 and b0 < a1, f"sessions did not overlap: {spans}"
    parallel = [ex.run(b[1]).stdout for b in pages]
    serial = Executor(ROOT, workers=1, timeout=20)
    try:
        assert [serial.run(b[1]).stdout for b in pages] == parallel
    finally:
        serial.shutdown()
