"""blogcode.publish.mathcheck: every kind of math error is reported with its file and line.

Pages are converted with the Markdown configuration of mkdocs.yml (the executable fence
rendered as plain code), as the plugin converts them.  All pages go through one
checker, so Node starts once for the module.
"""

from __future__ import annotations

import html as htmllib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from markdown import Markdown
from mkdocs.utils.meta import get_data
from mkdocs.utils.yaml import yaml_load

from blogcode.publish.blocks import front_matter_lines
from blogcode.publish.mathcheck import MathChecker, MathProblem, MathStats
from blogcode.publish.mathtext import wrap_bare_refs

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
HAVE_MATHJAX = (ROOT / "node_modules/mathjax-full/package.json").is_file()
needs_node = pytest.mark.skipif(
    NODE is None or not HAVE_MATHJAX, reason="needs node and mathjax-full (npm ci)"
)


def _plain_fence(src: str, language: str, css_class: str, options: Any, md: Any, **kw: Any) -> str:
    return f'<pre class="{css_class}"><code>{htmllib.escape(src)}</code></pre>'


def _site_markdown() -> tuple[list[str], dict[str, dict[str, Any]]]:
    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        cfg = yaml_load(f)
    names: list[str] = []
    configs: dict[str, dict[str, Any]] = {}
    for ext in cfg["markdown_extensions"]:
        if isinstance(ext, dict):
            ((name, conf),) = ext.items()
            names.append(name)
            configs[name] = dict(conf or {})
        else:
            names.append(ext)
    # Executable blocks need the plugin's build state: show them as code instead.
    fences = configs["pymdownx.superfences"]["custom_fences"]
    configs["pymdownx.superfences"]["custom_fences"] = [
        {**f, "validator": lambda *a, **k: True, "format": _plain_fence} for f in fences
    ]
    configs.setdefault("pymdownx.snippets", {})["base_path"] = [str(ROOT)]
    return names, configs


EXTENSIONS, CONFIGS = _site_markdown()


def to_html(markdown: str) -> str:
    """What the plugin's on_page_content sees: converted, bare \\eqref wrapped."""
    md = Markdown(extensions=EXTENSIONS, extension_configs=CONFIGS)
    return wrap_bare_refs(md.convert(markdown))


# name -> Markdown body.  Lines are counted from 1 in each body (line_offset 0) unless
# OFFSETS says otherwise.
CASES = {
    "clean": (
        "Inline $x^2$, a display\n\n$$\ny = \\frac{1}{2}\n$$\n\n"
        "and a numbered equation, referred to before \\eqref{eq:c} and after:\n\n"
        "\\begin{equation}\na = b \\label{eq:c}\n\\end{equation}\n\n"
        "See $\\eqref{eq:c}$, $\\boldsymbol{x}$, $\\cancel{y}$, $\\color{red}{z}$, "
        "$\\bra{\\psi}$.\n\n"
        "- a list item\n\n    $$\n    z = 1\n    $$\n\n"
        "Code is not math: `$5 and $$` and\n\n```text\n$$ \\foo\n```\n\n"
        "A price like $5 is prose, and so is \\$x.\n"
    ),
    "undefined": "Intro.\n\nText $\\foo x$ here.\n",
    "braces": (
        "Intro.\n\n$$\na = {b\n$$\n\n"  # 3: FindTeX finds no formula: raw TeX
        "Then $c = d}$.\n\n"  # 7
        "And $\\frac{a}$.\n"  # 9
    ),
    "noend": "Intro.\n\n\\begin{align}\na &= b\n\nafter\n\nInline $\\begin{cases} a$ too.\n",
    "refs": (
        "Intro.\n\n$$\na \\label{eq:u}\n$$\n\n"
        "see $\\eqref{eq:missing}$ and\n"  # 7
        "\\eqref{eq:bare} in prose and $\\ref{eq:u}$.\n"  # 8
    ),
    "duplicate": (
        "Intro.\n\n\\begin{equation}\na \\label{eq:d}\n\\end{equation}\n\nx\n\n"
        "\\begin{equation}\nb \\label{eq:d}\n\\end{equation}\n"  # 9
    ),
    "rawdisplay": (
        "A paragraph line\n$$\nx = 1\n$$\nmore.\n\n"  # 2: no blank line before $$
        "- item\n\n  $$\n  y = 2\n  $$\n"  # 9: indented less than the item's text
    ),
    "stray": "Fine $x$.\n\nThe cost is $5, but $y is not closed.\n",
    "twice": "A $\\foo$ and\n\nB $\\foo$ again.\n",
    "offset": "Intro.\n\n$\\nope$\n",
}
OFFSETS = {"offset": 5}
# Math in the HTML but not in the Markdown, as in a block's output.
EXTRA_HTML = {"output": '<div class="arithmatex">\\[\\bad\\]</div>'}
CASES["output"] = "Intro.\n\nText $a$ and\n\n$$\nb\n$$\n\n```python\nprint(1)\n```\n"


def _real_pages() -> list[tuple[str, str, str, int, bool]]:
    pages = []
    for path in sorted((ROOT / "docs").rglob("*.md")):
        if "results" in path.parts:
            continue
        raw = path.read_text(encoding="utf-8-sig")
        body, _meta = get_data(raw)
        src = str(path.relative_to(ROOT))
        # converted without executing the blocks: a label in a block's output is absent
        pages.append((src, body, to_html(body), front_matter_lines(raw, body), False))
    return pages


class Checked:
    def __init__(self, problems: list[MathProblem], stats: MathStats, cache: Path,
                 pages: list[tuple[str, str, str, int]]) -> None:
        self.problems, self.stats, self.cache, self.pages = problems, stats, cache, pages

    def of(self, name: str) -> list[tuple[int, str]]:
        return [(p.line, p.message) for p in self.problems if p.src == f"docs/case/{name}.md"]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    if NODE is None or not HAVE_MATHJAX:
        pytest.skip("needs node and mathjax-full (npm ci)")
    cache = tmp_path_factory.mktemp("mathcache")
    pages = [(f"docs/case/{name}.md", md, to_html(md) + EXTRA_HTML.get(name, ""),
              OFFSETS.get(name, 0)) for name, md in CASES.items()]
    pages += _real_pages()
    checker = MathChecker(ROOT, cache, workers=2)  # answers come back in any order
    for page in pages:
        checker.add_page(*page)
    return Checked(checker.finish(), checker.stats, cache, pages)


def test_clean_page_has_no_problems(checked):
    assert checked.of("clean") == []


def test_undefined_macro(checked):
    assert checked.of("undefined") == [(3, "undefined control sequence \\foo in $\\foo x$")]


def test_parse_errors(checked):
    got = checked.of("braces")
    assert [line for line, _ in got] == [3, 7, 9], got
    assert "finds no formula in $$a = {b$$ (unbalanced braces?)" in got[0][1]
    assert got[1][1] == "extra close brace or missing open brace in $c = d}$"
    assert got[2][1].startswith("missing argument for \\frac in $\\frac{a}$")


def test_environment_without_end(checked):
    got = checked.of("noend")
    assert [line for line, _ in got] == [3, 8], got
    assert got[0][1].startswith("raw \\begin{align} in the text: math environment not recognised")
    assert got[1][1] == "missing \\end{cases} in $\\begin{cases} a$"


def test_references_without_labels(checked):
    assert checked.of("refs") == [
        (7, "\\eqref{eq:missing}: no \\label{eq:missing} on this page"),
        (8, "\\eqref{eq:bare}: no \\label{eq:bare} on this page"),
        (8, "\\ref{eq:u}: \\label{eq:u} is on a formula without a number (MathJax shows ???)"),
    ]


def test_duplicate_label(checked):
    got = checked.of("duplicate")
    assert len(got) == 1 and got[0][0] == 9, got
    assert got[0][1].startswith("duplicate \\label{eq:d} (first at line 4) in \\begin{equation}")


def test_raw_display_math_in_text(checked):
    got = checked.of("rawdisplay")
    assert [line for line, _ in got] == [2, 9], got
    assert all(m.startswith("raw $$ in the text: display math not recognised") for _, m in got)


def test_stray_dollar(checked):
    got = checked.of("stray")
    assert len(got) == 1 and got[0][0] == 3, got
    assert got[0][1].startswith("stray $ in the text") and "$y is not closed" in got[0][1]


def test_same_formula_twice_is_reported_at_each_place(checked):
    assert [line for line, _ in checked.of("twice")] == [1, 3]


def test_line_offset_counts_the_front_matter(checked):
    assert checked.of("offset") == [(8, "undefined control sequence \\nope in $\\nope$")]
    p = next(p for p in checked.problems if p.src == "docs/case/offset.md")
    assert str(p) == "docs/case/offset.md:8: math: undefined control sequence \\nope in $\\nope$"


def test_formula_not_in_the_markdown_points_at_the_one_before(checked):
    assert checked.of("output") == [(
        5, "undefined control sequence \\bad in $$\\bad$$ (not in the Markdown: a block's output?)"
    )]


def test_real_pages_are_clean(checked):
    real = [p for p in checked.problems if not p.src.startswith("docs/case/")]
    assert not real, "\n".join(map(str, real))
    assert sum(1 for src, *_ in checked.pages if src.startswith("docs/posts/")) >= 7


def test_one_node_run_then_the_cache(checked):
    assert checked.stats.checked == sum(1 for page in checked.pages if "arithmatex" in page[2])
    assert checked.stats.cached == 0 and checked.stats.node_seconds > 0
    # A second build over the same cache runs no Node (it could not: there is none).
    again = MathChecker(ROOT, checked.cache, node=None)
    for page in checked.pages:
        again.add_page(*page)
    assert again.finish() == checked.problems
    assert again.stats.checked == 0 and again.stats.node_seconds == 0
    assert again.stats.cached == checked.stats.checked


def test_one_thread_gives_the_same_answers(checked, tmp_path):
    cases = [p for p in checked.pages if p[0].startswith("docs/case/")]
    checker = MathChecker(ROOT, tmp_path, workers=1)
    for page in cases:
        checker.add_page(*page)
    assert checker.finish() == [p for p in checked.problems if p.src.startswith("docs/case/")]


def test_prose_edit_keeps_the_cache(checked):
    src, md, html, offset = next(p for p in checked.pages if p[0] == "docs/case/twice.md")
    md2 = "New prose line.\n\n" + md.replace("again", "once more")
    again = MathChecker(ROOT, checked.cache, node=None)
    again.add_page(src, md2, to_html(md2), offset)
    assert [(p.line, p.message) for p in again.finish()] == [
        (3, "undefined control sequence \\foo in $\\foo$"),
        (5, "undefined control sequence \\foo in $\\foo$"),
    ]
    assert again.stats.cached == 1


def test_no_node_is_one_clear_problem(tmp_path):
    checker = MathChecker(ROOT, tmp_path, node=None)
    for name in ("undefined", "twice"):
        checker.add_page(f"docs/case/{name}.md", CASES[name], to_html(CASES[name]), 0)
    checker.add_page("docs/case/nomath.md", "No math.", "<p>No math.</p>", 0)
    problems = checker.finish()
    assert len(problems) == 1
    assert "cannot check the math of 2 page(s)" in problems[0].message
    assert "node" in problems[0].message.lower()


def test_no_mathjax_is_one_clear_problem(tmp_path):
    checker = MathChecker(ROOT, tmp_path, node=NODE or "node", mathjax=tmp_path / "missing")
    checker.add_page("docs/case/undefined.md", CASES["undefined"], to_html(CASES["undefined"]), 0)
    problems = checker.finish()
    assert len(problems) == 1 and "mathjax-full is not installed" in problems[0].message
    assert "npm ci" in problems[0].message


@needs_node
def test_macros_come_from_the_site_config(tmp_path):
    """The TeX configuration is read from the site's mathjax-config.js, macros included."""
    site = (ROOT / "docs/assets/javascripts/mathjax-config.js").read_text(encoding="utf-8")
    config = tmp_path / "mathjax-config.js"
    config.write_text(
        site.replace("tags: \"ams\",", "tags: \"ams\",\n    macros: { RR: \"\\\\mathbb{R}\" },"),
        encoding="utf-8",
    )
    assert "macros" in config.read_text(encoding="utf-8")
    md = "Let $x \\in \\RR$.\n"
    with_macro = MathChecker(ROOT, None, config=config)
    with_macro.add_page("docs/a.md", md, to_html(md), 0)
    assert with_macro.finish() == []
    without = MathChecker(ROOT, None)
    without.add_page("docs/a.md", md, to_html(md), 0)
    assert [p.message for p in without.finish()] == [
        "undefined control sequence \\RR in $x \\in \\RR$"
    ]


@needs_node
def test_site_mode_for_a_built_site(tmp_path):
    """`node mathcheck.cjs SITE_DIR` (tests/site uses it) lists every page's formulas."""
    import subprocess

    (tmp_path / "assets/javascripts").mkdir(parents=True)
    shutil.copy(ROOT / "docs/assets/javascripts/mathjax-config.js", tmp_path / "assets/javascripts")
    (tmp_path / "a").mkdir()
    md = CASES["clean"] + "\n\n$\\foo$\n"
    (tmp_path / "a/index.html").write_text(to_html(md), encoding="utf-8")
    out = subprocess.run([NODE or "node", str(ROOT / "blogcode/publish/mathcheck.cjs"),
                          str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    (page,) = json.loads(out.stdout)
    assert page["file"] == "a/index.html" and page["numbered"] == 1
    assert page["errors"] == ["Undefined control sequence \\foo in \\foo"]
    assert page["unresolved"] == []


@needs_node
def test_a_broken_config_is_one_clear_problem(tmp_path):
    config = tmp_path / "mathjax-config.js"
    config.write_text("var notMathJax = {};\n", encoding="utf-8")
    checker = MathChecker(ROOT, tmp_path, config=config)
    for name in ("undefined", "twice"):
        checker.add_page(f"docs/case/{name}.md", CASES[name], to_html(CASES[name]), 0)
    problems = checker.finish()
    assert len(problems) == 1, problems
    assert "the math check of 2 page(s) failed" in problems[0].message
    assert "does not set window.MathJax" in problems[0].message
    assert not list((tmp_path / "mathcheck").glob("*.json"))  # nothing cached


@needs_node
def test_close_stops_node(tmp_path):
    checker = MathChecker(ROOT, tmp_path)
    checker.add_page("docs/case/undefined.md", CASES["undefined"], to_html(CASES["undefined"]), 0)
    runner = checker._runner
    assert runner is not None and runner.proc is not None
    checker.close()
    assert runner.proc.poll() is not None


def test_missing_labels_are_not_reported_when_blocks_did_not_run(tmp_path):
    """BLOGCODE_EXECUTE=0: a \\label printed by a block is absent; TeX errors still count."""
    if NODE is None or not HAVE_MATHJAX:
        pytest.skip("needs node and mathjax-full (npm ci)")
    md = "See $\\eqref{eq:out}$ and $\\nope$.\n"
    checker = MathChecker(ROOT, tmp_path / "cache")
    checker.add_page("docs/a.md", md, to_html(md), 0)
    checker.add_page("docs/b.md", md, to_html(md), 0, outputs=False)
    got = {(p.src, p.message) for p in checker.finish()}
    assert ("docs/a.md", "\\eqref{eq:out}: no \\label{eq:out} on this page") in got
    assert not any(src == "docs/b.md" and "eqref" in msg for src, msg in got)
    assert any(src == "docs/b.md" and "undefined control sequence" in msg for src, msg in got)
