"""Check every page's math as the browser's MathJax will see it, at build time.

The plugin gives each page to a :class:`MathChecker` after Markdown conversion and
asks for the problems at the end of the build; each names the ``.md`` file and the
line where the formula starts:

* TeX that MathJax cannot compile: undefined macros (in the browser they would be red
  text), unbalanced braces, unknown or unclosed environments, ... ;
* ``\\eqref{x}``/``\\ref{x}`` with no ``\\label{x}`` on the page (MathJax draws "???"),
  and a label defined twice on a page;
* math that arithmatex did not recognise, so the reader sees raw TeX: ``$$`` or
  ``\\begin{...}``/``\\end{...}`` in the page text (a display block without a blank line
  before it, or indented differently from its paragraph), and a stray ``$`` (an
  unmatched inline delimiter; ``\\$`` in the Markdown and a ``$`` before a digit, as in
  a price, are allowed).

The TeX is compiled by ``mathcheck.cjs`` with mathjax-full in Node, configured from the
site's own ``mathjax-config.js`` (packages, macros, ``tags: 'ams'``), less the
``noundefined`` package.  Each page's verdict is stored under the cache folder, keyed
by the page's math (in order), the MathJax version, the configuration and this
checker's source, so a build where no math changed (a warm build, a prose edit) runs
no Node.  Pages that are not cached go to one Node process, started on the first such
page and fed in the background while the build goes on; :meth:`MathChecker.finish`
waits for it.

In the plugin::

    checker = MathChecker(root, cache_folder)                  # a build starts
    checker.add_page("docs/posts/x.md", markdown, html, lines)  # each page, once converted
    problems = checker.finish()                                 # on_post_build
    checker.close()                                             # on_build_error

``html`` should be the page as the browser gets it (after ``wrap_bare_refs``), and
``markdown`` the whole body (not the excerpt the plugin later leaves in ``page.markdown``).
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

#: The Node half of the checker.
SCRIPT = Path(__file__).with_name("mathcheck.cjs")
#: The site's MathJax configuration and mathjax-full, relative to the project root.
CONFIG = Path("docs/assets/javascripts/mathjax-config.js")
MATHJAX = Path("node_modules/mathjax-full")
#: Cache entries live in this folder under the cache folder.
CACHE_SUBDIR = "mathcheck"

_ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">.*?</\1>', re.S)
# Where page text stops: comments, code, scripts, figures, math.  The search for the next
# one starts after the end of the last, so it never reads the inside of a code block.
_NOT_TEXT = re.compile(
    r"<(?:(!--)|(pre|code|kbd|samp|script|style|svg|textarea|math"
    r'|span class="arithmatex"|div class="arithmatex")[\s>])'
)
_CLOSING = {'span class="arithmatex"': "</span>", 'div class="arithmatex"': "</div>"}
_MARKERS = ("$", "\\begin", "\\end")
_PIECE = re.compile(
    r'<(span|div) class="arithmatex">\s*(?:\\[(\[])?(.*?)(?:\\[)\]])?\s*</\1>', re.S
)
_RAW_ENV = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")
_REF = re.compile(r"\\(eq)?ref\s*\{([^{}]*)\}")
_DUPLICATE = re.compile(r"^Label '(.*)' multiply defined$")
_FENCE = re.compile(r"^([ \t>]*)(`{3,}|~{3,}).*?^\1\2[`~]*[ \t]*$", re.S | re.M)
_SHOW = 80
#: The error mathcheck.cjs gives for an arithmatex element with no formula in it.
NO_FORMULA = "No formula found"


@dataclass(frozen=True)
class MathProblem:
    """One formula (or bit of raw TeX) that will not render; ``line`` is 1-based."""

    src: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.src}:{self.line}: math: {self.message}"


@dataclass
class MathStats:
    pages: int = 0  # pages given to add_page
    formulas: int = 0  # math elements on them
    cached: int = 0  # pages with math whose verdict came from the cache
    checked: int = 0  # pages with math compiled by MathJax in Node
    node_seconds: float = 0.0  # from Node's start to its last answer (0 when none ran)
    wait_seconds: float = 0.0  # how long finish() waited for it
    seconds: float = 0.0  # time spent in add_page and finish, waiting included

    def __str__(self) -> str:
        node = f", Node {self.node_seconds:.2f} s" if self.checked else ""
        return (
            f"math check: {self.pages} pages, {self.formulas} formulas; "
            f"{self.checked} pages checked by MathJax, {self.cached} from cache{node} "
            f"({self.seconds:.2f} s in the build)"
        )


@dataclass
class _Page:
    src: str
    markdown: str
    line_offset: int
    key: str
    pieces: list[str]
    prose: list[tuple[str, str, str]]  # (message, text before + NUL + marker, text after)
    outputs: bool = True  # False: the blocks did not run, so labels in their output are absent
    verdict: dict[str, Any] | None = None
    source: _Source | None = field(default=None, repr=False)

    def locate(self) -> _Source:
        if self.source is None:
            self.source = _Source(self.markdown)
        return self.source


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


_SELF_DIGEST: str | None = None


def _self_digest() -> str:
    global _SELF_DIGEST
    if _SELF_DIGEST is None:
        _SELF_DIGEST = _digest(Path(__file__).read_bytes(), SCRIPT.read_bytes())
    return _SELF_DIGEST


class MathChecker:
    """Collects pages during a build; :meth:`finish` returns their math problems.

    ``root`` is the project folder (where mkdocs.yml is); ``config`` and ``mathjax``
    default to the site's ``docs/assets/javascripts/mathjax-config.js`` and
    ``node_modules/mathjax-full`` under it.  ``cache_dir`` is the build's cache folder
    (verdicts go to its ``mathcheck/`` subfolder), or None for no cache.  Node checks
    the pages in up to ``workers`` threads (default: the CPUs less one, at most 4).
    """

    def __init__(
        self,
        root: Path,
        cache_dir: Path | None,
        node: str | None = shutil.which("node"),
        *,
        config: Path | None = None,
        mathjax: Path | None = None,
        timeout: float = 600.0,
        workers: int | None = None,
    ) -> None:
        self.root = Path(root)
        self.cache = Path(cache_dir) / CACHE_SUBDIR if cache_dir is not None else None
        self.node = node
        self.config = Path(config) if config else self.root / CONFIG
        self.mathjax = Path(mathjax) if mathjax else self.root / MATHJAX
        self.timeout = timeout
        self.workers = workers or max(1, min(4, (os.cpu_count() or 2) - 1))
        self.stats = MathStats()
        self._pages: list[_Page] = []
        self._setup_error: str | None = None
        self._env_key = self._environment_key()
        self._runner: _NodeRunner | None = None
        self._unchecked: list[_Page] = []

    def _environment_key(self) -> str:
        try:
            package = json.loads((self.mathjax / "package.json").read_text(encoding="utf-8"))
            version = str(package["version"])
        except (OSError, ValueError, KeyError):
            self._setup_error = (
                f"mathjax-full is not installed ({self.mathjax} is missing): run `npm ci`"
            )
            return ""
        try:
            config = self.config.read_bytes()
        except OSError:
            self._setup_error = f"the site's MathJax configuration {self.config} is missing"
            return ""
        return _digest(version.encode(), config, _self_digest().encode())

    # -- collecting ------------------------------------------------------------------

    def add_page(self, src: str, markdown: str, html: str, line_offset: int,
                 outputs: bool = True) -> None:
        """Check one page: ``src`` as it should be reported (``docs/posts/x.md``),
        ``markdown`` its body, ``html`` its converted content, ``line_offset`` the
        number of lines of the file before the body.  ``outputs=False``: the page's blocks
        were not executed (``BLOGCODE_EXECUTE=0``), so a reference whose \\label would be in
        a block's output is not reported; TeX errors still are."""
        t0 = time.perf_counter()
        pieces = [m.group(0) for m in _ARITHMATEX.finditer(html)]
        key = _digest(self._env_key.encode(), "\0".join(pieces).encode()) if pieces else ""
        page = _Page(src, markdown, line_offset, key, pieces, _prose_problems(html), outputs)
        self._pages.append(page)
        self.stats.pages += 1
        self.stats.formulas += len(pieces)
        if pieces and not self._setup_error:
            page.verdict = self._read_cache(key)
            if page.verdict is not None:
                self.stats.cached += 1
            elif self.node is None:
                self._unchecked.append(page)
            else:
                self._send(page)
        elif pieces:
            self._unchecked.append(page)
        self.stats.seconds += time.perf_counter() - t0

    def _read_cache(self, key: str) -> dict[str, Any] | None:
        if self.cache is None:
            return None
        try:
            data = json.loads((self.cache / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and "items" in data else None

    def _write_cache(self, key: str, verdict: dict[str, Any]) -> None:
        if self.cache is None:
            return
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(verdict, f, ensure_ascii=False)
            os.replace(tmp, self.cache / f"{key}.json")
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _send(self, page: _Page) -> None:
        if self._runner is None:
            assert self.node is not None
            cmd = [self.node, str(SCRIPT), "--stdin", "--config", str(self.config),
                   "--mathjax", str(self.mathjax), "--workers", str(self.workers)]
            self._runner = _NodeRunner(cmd, cwd=self.root)
        self._runner.send(len(self._pages) - 1, page.pieces)
        self.stats.checked += 1

    # -- results ---------------------------------------------------------------------

    def finish(self) -> list[MathProblem]:
        """Wait for Node, store the new verdicts; every problem, in page order."""
        t0 = time.perf_counter()
        problems: list[MathProblem] = []
        if self._runner is not None:
            results, error = self._runner.close(self.timeout)
            self.stats.node_seconds = self._runner.seconds
            self.stats.wait_seconds = time.perf_counter() - t0
            waiting = [(i, p) for i, p in enumerate(self._pages) if p.pieces and p.verdict is None]
            if error and not results and waiting:
                # Node never got going (a bad configuration, a broken install): say so once.
                page = waiting[0][1]
                problems.append(MathProblem(
                    page.src, page.line_offset + 1,
                    f"the math check of {len(waiting)} page(s) failed: {_one_line(error, 500)}"))
                waiting = []
            for i, page in waiting:
                r = results.get(i)
                if r is None or "crash" in r:
                    why = r["crash"].splitlines()[0] if r else error or "no answer from node"
                    problems.append(MathProblem(
                        page.src, page.line_offset + 1,
                        f"the math check failed on this page: {_one_line(why, 300)}"))
                    continue
                page.verdict = {k: r[k] for k in ("formulas", "numbered", "items")}
                self._write_cache(page.key, page.verdict)
        if self._unchecked:
            first = self._unchecked[0]
            why = self._setup_error or (
                "Node.js (`node`) is not on PATH; it is needed to build the site "
                "(MathJax comes from npm) and to check its math")
            problems.append(MathProblem(
                first.src, first.line_offset + 1,
                f"cannot check the math of {len(self._unchecked)} page(s): {why}"))
        found: list[tuple[MathProblem, bool]] = []
        for page in self._pages:
            found.extend(_page_problems(page))
        # A formula reported on a page whose Markdown does not hold it (a listing page
        # showing a post's excerpt) is left out when the post itself reports it.
        located = {p.message for p, ok in found if ok}
        problems.extend(p for p, ok in found if ok or p.message not in located)
        self.stats.seconds += time.perf_counter() - t0
        return problems

    def close(self) -> None:
        """Stop Node without waiting for it, for a build that ends before finish()."""
        if self._runner is not None:
            self._runner.kill()
            self._runner = None


# -- Node -----------------------------------------------------------------------------


class _NodeRunner:
    """One ``mathcheck.cjs --stdin`` process; pages are written and answers read by
    background threads, so neither side waits on a full pipe."""

    def __init__(self, cmd: list[str], cwd: Path) -> None:
        self.t0 = time.perf_counter()
        self.seconds = 0.0  # from the start to the last answer
        self.stderr: IO[bytes] = tempfile.TemporaryFile()
        self.results: dict[int, dict[str, Any]] = {}
        self.error: str | None = None
        self.todo: queue.Queue[str | None] = queue.Queue()
        try:
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self.stderr,
            )
        except OSError as err:
            self.proc = None
            self.error = f"cannot start {cmd[0]}: {err}"
            return
        self.writer = threading.Thread(target=self._write, daemon=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.writer.start()
        self.reader.start()

    def send(self, page_id: int, pieces: list[str]) -> None:
        self.todo.put(json.dumps({"id": page_id, "pieces": pieces}))

    def _write(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        stdin = self.proc.stdin
        try:
            while (line := self.todo.get()) is not None:
                stdin.write(line.encode() + b"\n")
                stdin.flush()
        except OSError:
            pass  # Node died; close() reports it
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if isinstance(msg, dict) and "id" in msg:
                self.results[int(msg["id"])] = msg
                self.seconds = time.perf_counter() - self.t0

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self, timeout: float) -> tuple[dict[int, dict[str, Any]], str | None]:
        if self.proc is None:
            return {}, self.error
        self.todo.put(None)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.writer.join(5)
        self.reader.join(5)
        self.stderr.seek(0)
        err = self.stderr.read().decode("utf-8", "replace").strip()
        self.stderr.close()
        if rc is None:
            self.error = f"node did not finish within {timeout:.0f} s"
        elif rc != 0:
            lines = err.splitlines()
            first = next((ln for ln in lines if re.match(r"\w*Error\b", ln)),
                         lines[-1] if lines else "")
            self.error = f"node exited with status {rc}: {first}"
        return self.results, self.error


# -- page text ------------------------------------------------------------------------


def _prose_problems(html: str) -> list[tuple[str, str, str]]:
    """Raw TeX in the page text: (message, text before + NUL + marker, text after)."""
    out: list[tuple[str, str, str]] = []

    def add(marker: str, message: str, text: str, start: int, end: int) -> None:
        before, after = text[max(0, start - 30): start], text[end: end + 30]
        snippet = _one_line(text[max(0, start - 10): end + 40], 60)
        out.append((f"{message}: «{snippet}»", before + "\0" + marker, after))

    for chunk in _text_with_markers(html):
        text = htmllib.unescape(chunk)
        for d in list(re.finditer(r"\$\$", text))[::2]:  # an opening $$, not its closing one
            add("$$", "raw $$ in the text: display math not recognised (it needs a blank "
                "line before it, and the indentation of its paragraph)", text, d.start(),
                d.end())
        for e in _RAW_ENV.finditer(text):
            add(e.group(0), f"raw {e.group(0)} in the text: math environment not "
                "recognised (it needs a blank line before it, and a matching "
                f"\\{'end' if e.group(1) == 'begin' else 'begin'}{{{e.group(2)}}})",
                text, e.start(), e.end())
        singles = [s for s in re.finditer(r"(?<!\$)\$(?!\$)", text)
                   if not text[s.end(): s.end() + 1].isdigit()]
        if singles:
            s = singles[0]
            add("$", "stray $ in the text: an unmatched math delimiter? (write \\$ for a "
                "dollar sign)", text, s.start(), s.end())
    return out


def _text_with_markers(html: str) -> list[str]:
    """The text nodes of ``html`` (outside tags, code and math) that hold $ or \\begin/end."""
    found: list[int] = []
    for marker in _MARKERS:
        i = html.find(marker)
        while i >= 0:
            found.append(i)
            i = html.find(marker, i + 1)
    if not found:
        return []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    while m := _NOT_TEXT.search(html, pos):
        closing = "-->" if m.group(1) else _CLOSING.get(m.group(2)) or f"</{m.group(2)}>"
        j = html.find(closing, m.end())
        pos = len(html) if j < 0 else j + len(closing)
        starts.append(m.start())
        ends.append(pos)
    chunks: dict[int, str] = {}
    for at in sorted(found):
        k = bisect_right(starts, at) - 1
        if k >= 0 and at < ends[k]:
            continue
        start = html.rfind(">", 0, at) + 1
        if html.rfind("<", 0, at) >= start:
            continue  # inside a tag: an attribute value
        if start not in chunks:
            end = html.find("<", at)
            chunks[start] = html[start: end if end >= 0 else len(html)]
    return list(chunks.values())


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _shown(tex: str, display: bool) -> str:
    tex = _one_line(tex, _SHOW)
    if not display:
        return f"${tex}$"
    return tex if tex.startswith("\\begin") else f"$${tex}$$"


def _squeeze(text: str) -> str:
    return "".join(text.split())


class _Source:
    """The page's Markdown with whitespace squeezed out (arithmatex re-indents blocks),
    fenced code masked, and a map back to offsets and lines."""

    def __init__(self, markdown: str) -> None:
        masked = _FENCE.sub(lambda m: re.sub(r"\S", " ", m.group(0)), markdown)
        self.offsets: list[int] = []
        parts: list[str] = []
        for m in re.finditer(r"\S+", masked):
            parts.append(m.group(0))
            self.offsets.extend(range(m.start(), m.end()))
        self.squeezed = "".join(parts)
        self.newlines = [i for i, ch in enumerate(markdown) if ch == "\n"]
        self.used: set[int] = set()

    def line(self, offset: int) -> int:
        """0-based line of an offset into the Markdown."""
        return bisect_right(self.newlines, offset - 1)

    def find(self, needles: list[str], nth: int = 0, mark: bool = True) -> int | None:
        """Offset in the Markdown of the first needle found: its ``nth`` occurrence if
        not reported yet, else the first unreported one, else the first.  ``mark``: the
        occurrence counts as reported."""
        i = self._find(needles, nth, mark)
        return None if i is None else self.offsets[i]

    def _find(self, needles: list[str], nth: int, mark: bool = True) -> int | None:
        for needle in needles:
            sq = _squeeze(needle)
            if not sq:
                continue
            hits: list[int] = []
            i = self.squeezed.find(sq)
            while i >= 0:
                hits.append(i)
                i = self.squeezed.find(sq, i + 1)
            if not hits:
                continue
            fresh = [h for h in hits if h not in self.used]
            pick = hits[nth] if nth < len(hits) and hits[nth] in fresh else (
                fresh[0] if fresh else hits[0])
            if mark:
                self.used.add(pick)
            return pick
        return None

    def find_text(self, before: str, after: str) -> int | None:
        """Offset of a marker in prose given the text around it (``before`` ends with
        NUL + the marker): the widest context that is found wins."""
        ctx, marker = before.rsplit("\0", 1)
        for wb, wa in ((30, 30), (12, 12), (6, 6), (0, 8), (6, 0), (0, 0)):
            b = _squeeze(ctx)[-wb:] if wb else ""
            a = _squeeze(after)[:wa] if wa else ""
            at = self._find([b + marker + a], 0)
            if at is not None:
                return self.offsets[at + len(b)]  # the marker, not the context before it
        return None


def _page_problems(page: _Page) -> list[tuple[MathProblem, bool]]:
    """The page's problems, each with whether its place was found in the Markdown."""
    out: list[tuple[MathProblem, bool]] = []
    if not page.prose and not (page.verdict and page.verdict["items"]):
        return out

    def problem(offset: int | None, message: str) -> None:
        line = page.line_offset + 1 + (page.locate().line(offset) if offset is not None else 0)
        out.append((MathProblem(page.src, line, message), offset is not None))

    for item in (page.verdict or {}).get("items", []):
        tex, display, nth = item["tex"], bool(item["display"]), int(item.get("nth", 0))
        if display:
            needles = [f"$${tex}$$", f"\\[{tex}\\]", tex]
        else:
            needles = [f"${tex}$", f"\\({tex}\\)", tex]
        at = page.locate().find(needles, nth)
        shown = _shown(tex, display)
        if at is None:
            # Not written in the Markdown (a block's output, say): point at the formula
            # before it that is.
            at = _before(page, int(item.get("piece", -1)))
            if at is not None:
                shown += " (not in the Markdown: a block's output?)"
        messages = [_tex_message(page, err, shown, at) for err in item["errors"]]
        if not page.outputs:  # the label may be in the output of a block that did not run
            item = {**item, "missing": [], "unnumbered": []}
        for label in item["missing"]:
            if label == "?":
                messages.append(f"unresolved reference (MathJax shows ???) in {shown}")
            else:
                messages.append(f"{_ref(tex, label)}: no \\label{{{label}}} on this page"
                                f"{_where(tex, label, shown)}")
        for label in item.get("unnumbered", []):
            messages.append(f"{_ref(tex, label)}: \\label{{{label}}} is on a formula without "
                            f"a number (MathJax shows ???){_where(tex, label, shown)}")
        for msg in dict.fromkeys(messages):
            problem(at, msg)
    for message, before, after in page.prose:
        at = page.locate().find_text(before, after)
        if at is not None and message.startswith("stray $") and at > 0 \
                and page.markdown[at - 1] == "\\":
            continue  # \$ in the Markdown: a dollar sign meant as one
        problem(at, message)
    out.sort(key=lambda p: p[0].line)
    return out


def _before(page: _Page, piece: int) -> int | None:
    """Offset in the Markdown of the last formula before ``pieces[piece]`` found there."""
    for j in range(min(piece, len(page.pieces)) - 1, -1, -1):
        m = _PIECE.match(page.pieces[j])
        if m is None:
            continue
        tex = htmllib.unescape(m.group(2))
        at = page.locate().find([f"$${tex}$$", f"${tex}$", tex], mark=False)
        if at is not None:
            return at
    return None


def _tex_message(page: _Page, err: str, shown: str, at: int | None) -> str:
    if err == NO_FORMULA:
        return f"MathJax finds no formula in {shown} (unbalanced braces?): it shows the raw TeX"
    dup = _DUPLICATE.match(err)
    if dup:
        first = _first_label(page, dup.group(1), at)
        also = f" (first at line {first})" if first else ""
        return f"duplicate \\label{{{dup.group(1)}}}{also} in {shown}"
    return f"{err[:1].lower()}{err[1:]} in {shown}"


def _ref(tex: str, label: str) -> str:
    """How ``tex`` refers to ``label``: ``\\eqref{label}`` or ``\\ref{label}``."""
    cmd = next((f"\\{m.group(1) or ''}ref" for m in _REF.finditer(tex) if m.group(2) == label),
               "\\eqref")
    return f"{cmd}{{{label}}}"


def _where(tex: str, label: str, shown: str) -> str:
    return "" if _squeeze(tex) == _squeeze(_ref(tex, label)) else f" in {shown}"


def _first_label(page: _Page, label: str, at: int | None) -> int | None:
    """1-based file line of the first ``\\label{label}`` in the Markdown, if not ``at``."""
    src = page.locate()
    i = src.squeezed.find(_squeeze(f"\\label{{{label}}}"))
    if i < 0:
        return None
    line = src.line(src.offsets[i])
    if at is not None and src.line(at) == line:
        return None
    return page.line_offset + 1 + line
