"""The cached execution fence: ```` ```python exec="on" ```` blocks.

Registered in ``mkdocs.yml`` as a superfences custom fence (``validator`` and
``formatter`` below).  The plugin (``blogcode.publish.plugin``) installs a
:class:`BuildContext` for each build; the formatter asks it for the block's
*outcome*, which comes, in this order, from

1. the outcomes of this build (a post's blocks are formatted again for every
   listing page that shows its excerpt: they never run twice in a build),
2. the execution cache (no execution at all),
3. running the block in a worker process (:mod:`blogcode.publish.execution`),
   replaying earlier blocks of its session first if need be.  A build that
   knows its pages up front calls :meth:`BuildContext.prefetch`, which submits
   every session with a miss at once, longest first, so they run in parallel
   while Markdown conversion proceeds in page order.

A block that raises is logged as an error naming the page, the line and the
exception (so ``mkdocs build --strict`` fails), rendered with its traceback,
and never cached.

Fence options: ``exec`` (required, on), ``session``, ``source`` (``above``,
``below``, ``tabbed-left``, ``tabbed-right``; absent = hide the source),
``html`` (stdout is raw HTML), ``result`` (show stdout as a code block in that
language), ``timeout`` (seconds), ``title`` (caption above the block).
"""

from __future__ import annotations

import hashlib
import html as _html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown import Markdown
from pymdownx.superfences import SuperFencesException

from .blocks import (
    BLOCK_ATTR,
    OPTIONS,
    SOURCE_MODES,
    TRUE,
    BlockOptionError,
    BlockSpec,
    block_options,
)
from .cache import ExecCache, Record, static_key
from .execution import BlockError, Executor, ModuleInfo, SessionBroken, closure, get_executor

log = logging.getLogger("mkdocs.plugins.blogcode")

__all__ = ["OPTIONS", "SOURCE_MODES", "BuildContext", "Outcome", "formatter", "validator"]
LABEL_SOURCE, LABEL_RESULT = "源代码", "结果"
DISABLED_HTML = '<p class="bc-exec-disabled">（本次构建未执行代码）</p>'  # BLOGCODE_EXECUTE=0


@dataclass
class Outcome:
    html: str  # rendered output
    status: str  # executed | cached | failed | disabled
    seconds: float = 0.0
    replayed: int = 0
    notices: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class BlockEvent:
    """One line of the execution report."""

    page: str
    line: int
    session: str | None
    status: str
    seconds: float
    replayed: int = 0
    error: str | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)


class BuildContext:
    """State of one build: blocks per page, the cache, the executor, the report."""

    def __init__(
        self,
        *,
        cache: ExecCache,
        executor: Executor | None = None,
        environment: str,
        graph: dict[str, ModuleInfo],
        markdown_factory: Callable[[], Markdown],
        execute: bool = True,
    ):
        self.cache = cache
        self.executor = executor if executor is not None else get_executor()
        # One context per build: the executor forgets the last build's results, and retires
        # idle session workers that imported blogcode code which has changed since.
        self.executor.new_build({name: m.digest for name, m in graph.items()})
        self.environment = environment
        self.graph = graph
        self.module_hashes = {name: m.digest for name, m in graph.items()}
        self.execute = execute
        self._markdown_factory = markdown_factory
        self._md: Markdown | None = None
        self.blocks: dict[str, list[BlockSpec]] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.events: list[BlockEvent] = []
        self.failures: list[BlockEvent] = []
        self.durations: dict[str, float] = {}  # page#session -> seconds executed in this build

    # -- markdown for outputs and sources ---------------------------------
    def convert(self, text: str) -> str:
        if self._md is None:
            self._md = self._markdown_factory()
        self._md.reset()
        return self._md.convert(text)

    # -- blocks ----------------------------------------------------------
    def register(self, page: str, blocks: list[BlockSpec]) -> None:
        self.blocks[page] = blocks

    def lookup(self, block_id: str | None) -> BlockSpec:
        if not block_id or "#" not in block_id:
            raise SuperFencesException(
                "an executable block was found outside a page the blogcode plugin scanned "
                "(is the 'blogcode' plugin enabled in mkdocs.yml, and is the block not inside "
                "the output of another block?)"
            )
        page, _, index = block_id.rpartition("#")
        try:
            return self.blocks[page][int(index)]
        except (KeyError, IndexError, ValueError):
            raise SuperFencesException(f"unknown executable block {block_id!r}") from None

    def outcome(self, spec: BlockSpec) -> Outcome:
        key = static_key(spec, self.environment)
        got = self.outcomes.get(key)
        if got is not None:
            return got
        problem = self.option_problem(spec)
        if problem is not None:
            log.error("%s", problem)
            got = Outcome(
                f'<div class="admonition failure bc-exec-error"><p class="admonition-title">'
                f"代码块选项错误</p><p>{_html.escape(problem)}</p></div>",
                "failed",
            )
        elif not self.execute:
            got = Outcome(DISABLED_HTML, "disabled")
        else:
            rec = self.cache.get(key, self.module_hashes)
            if rec is not None:
                got = Outcome(rec.html, "cached", rec.seconds, 0, list(rec.notices))
            else:
                got = self._run(spec, key)
        self.outcomes[key] = got
        event = BlockEvent(
            spec.page, spec.line, spec.session, got.status, got.seconds, got.replayed,
            notices=got.notices,
        )
        if got.status == "failed":
            event.error = got.html
            self.failures.append(event)
        self.events.append(event)
        return got

    # -- running ---------------------------------------------------------
    @staticmethod
    def option_problem(spec: BlockSpec) -> str | None:
        """One line saying what is wrong with the block's options (or with an earlier
        block's of its session), or None."""
        for s in (*spec.previous, spec):
            try:
                block_options(s)
            except BlockOptionError as err:
                return str(err) if s is spec else f"{spec.where}: not run, because {err}"
        return None

    def misses(self, blocks: list[BlockSpec]) -> list[list[BlockSpec]]:
        """The blocks of a page that must run, grouped into jobs (a session each)."""
        jobs: dict[str, list[BlockSpec]] = {}
        for spec in blocks:
            if self.option_problem(spec) is not None:
                continue
            key = static_key(spec, self.environment)
            if key in self.outcomes or self.cache.get(key, self.module_hashes) is not None:
                continue
            jobs.setdefault(spec.session or f"#{spec.index}", []).append(spec)
        return list(jobs.values())

    def prefetch(self, pages: dict[str, list[BlockSpec]], durations: dict[str, float]) -> int:
        """Submit every session of ``pages`` that has a miss, longest first; return how many.

        ``durations`` (``page#session`` -> seconds, from an earlier build) only
        orders the work: the longest sessions start first, so two workers
        finish together.  Unknown sessions count as long (they may be).
        """
        if not self.execute:
            return 0
        jobs = [job for blocks in pages.values() for job in self.misses(blocks)]
        big = max(durations.values(), default=1.0) + 1.0
        jobs.sort(key=lambda job: -durations.get(session_id(job[-1]), big))
        for job in jobs:
            self.executor.submit(job)
        return len(jobs)

    def _run(self, spec: BlockSpec, key: str) -> Outcome:
        # Not prefetched: submit the rest of its session's misses with it, so the
        # session runs once instead of once per block.
        for job in self.misses(self.blocks.get(spec.page, [])):
            if spec in job:
                self.executor.submit(job)
        try:
            res = self.executor.result(spec)
        except SessionBroken as err:
            log.error(
                "%s: not run, because block at line %d of session %r failed",
                spec.where, err.failed.line, spec.session,
            )
            return Outcome(
                f'<div class="admonition failure bc-exec-error"><p class="admonition-title">'
                f"未执行：同一会话中第 {err.failed.line} 行的代码块失败</p></div>",
                "failed",
            )
        except BlockError as err:
            log.error(
                "Execution of a code block failed\n"
                "  page:  %s\n  block: line %d%s\n  error: %s: %s\n%s",
                spec.page, spec.line,
                f" (session {spec.session!r})" if spec.session else "",
                err.kind, err.message,
                _indent(err.tb_text),
            )
            if err.spec.where != spec.where:
                log.error(
                    "  (the failing block is an earlier block of the same session: %s)",
                    err.spec.where,
                )
            body = (
                f'<div class="admonition failure bc-exec-error"><p class="admonition-title">'
                f"代码块执行失败：{_html.escape(spec.where)}</p>"
                f"<pre><code>{_html.escape(err.tb_text)}</code></pre></div>"
            )
            return Outcome(body, "failed", 0.0)
        html = self._render_output(res.stdout, spec)
        modules = {
            m: self.module_hashes[m] for m in sorted(closure(set(res.imported), self.graph))
        }
        found = [(kind, message) for kind, message in res.notices]
        self.cache.put(key, Record(html, modules, res.seconds, found, dict(res.files)))
        self.durations[session_id(spec)] = self.durations.get(session_id(spec), 0.0) + res.seconds
        return Outcome(html, "executed", res.seconds, res.replayed, found)

    def _render_output(self, stdout: str, spec: BlockSpec) -> str:
        if not stdout.strip():
            return ""
        if spec.option("html").lower() in TRUE:
            return stdout
        result = spec.option("result")
        if result:
            fence = "`" * max(3, _longest_backtick_run(stdout) + 1)
            return self.convert(f"{fence}{result}\n{stdout.rstrip()}\n{fence}\n")
        return self.convert(stdout)

    def source_html(self, spec: BlockSpec) -> str:
        # Highlighted source, kept across the rebuilds of `mkdocs serve` (keyed by the
        # Markdown configuration too, which decides the markup).
        key = (self.environment, spec.code)
        got = _SOURCE_HTML.get(key)
        if got is None:
            fence = "`" * max(3, _longest_backtick_run(spec.code) + 1)
            got = _SOURCE_HTML[key] = self.convert(f"{fence}python\n{spec.code}\n{fence}\n")
        return got


def session_id(spec: BlockSpec) -> str:
    """``page#session`` (``page#<index>`` for a sessionless block): the unit of scheduling."""
    return f"{spec.page}#{spec.session or spec.index}"


def _longest_backtick_run(text: str) -> int:
    best = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        best = max(best, run)
    return best


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.rstrip().splitlines())


#: Installed by the plugin for the duration of a build.
CONTEXT: BuildContext | None = None
#: (environment, code) -> highlighted HTML of a block's source; lives as long as the process.
_SOURCE_HTML: dict[tuple[str, str], str] = {}


def check_registered(mdx_configs: dict[str, Any]) -> None:
    """Raise ValueError unless superfences uses :func:`formatter` (mkdocs.yml ``mdx_configs``)."""
    fences = mdx_configs.get("pymdownx.superfences", {}).get("custom_fences", [])
    if not any(f.get("format") is formatter for f in fences):
        raise ValueError(
            "mkdocs.yml: pymdownx.superfences must register "
            "blogcode.publish.fence.formatter for 'python'"
        )


def validator(
    language: str, inputs: dict[str, str], options: dict[str, Any], attrs: dict[str, Any],
    md: Markdown,
) -> bool:
    """Claim ``python`` fences that say ``exec="on"``; leave others to highlighting."""
    if inputs.get("exec", "").lower() not in TRUE:
        return False
    options["bc_block"] = inputs.pop(BLOCK_ATTR, None)
    options["bc_inputs"] = dict(inputs)
    inputs.clear()
    return True


def _tabbed(uid: str, first: tuple[str, str], second: tuple[str, str], selected: int) -> str:
    """pymdownx.tabbed's markup with tab ``selected`` (1 or 2) open."""
    c1, c2 = (' checked="checked"', "") if selected == 1 else ("", ' checked="checked"')
    return (
        f'<div class="tabbed-set tabbed-alternate bc-exec" data-tabs="{uid}:2">'
        f'<input{c1} id="__bc_{uid}_1" name="__bc_{uid}" type="radio" />'
        f'<input{c2} id="__bc_{uid}_2" name="__bc_{uid}" type="radio" />'
        f'<div class="tabbed-labels"><label for="__bc_{uid}_1">{first[0]}</label>'
        f'<label for="__bc_{uid}_2">{second[0]}</label></div>\n'
        f'<div class="tabbed-content">\n<div class="tabbed-block">\n{first[1]}\n</div>\n'
        f'<div class="tabbed-block">\n{second[1]}\n</div>\n</div>\n</div>'
    )


def assemble(spec: BlockSpec, outcome: Outcome, source_html: str | None) -> str:
    mode = spec.option("source")
    out = outcome.html
    # Deterministic, unique per page and block (Python's str hash is salted per process).
    uid = f"{hashlib.sha1(spec.page.encode()).hexdigest()[:6]}_{spec.index}"
    if mode in ("", None) or source_html is None:
        body = f'<div class="bc-exec bc-exec-result">\n{out}\n</div>'
    elif mode == "above":
        body = f'<div class="bc-exec">\n{source_html}\n{out}\n</div>'
    elif mode == "below":
        body = f'<div class="bc-exec">\n{out}\n{source_html}\n</div>'
    # Tabs: the result is open, so a reader sees numbers and figures without a click;
    # the source is one click away ("left"/"right" is where the source tab sits).
    elif mode == "tabbed-left":
        body = _tabbed(uid, (LABEL_SOURCE, source_html), (LABEL_RESULT, out), selected=2)
    else:  # tabbed-right
        body = _tabbed(uid, (LABEL_RESULT, out), (LABEL_SOURCE, source_html), selected=1)
    title = spec.option("title")
    if title:
        body = f'<p class="bc-exec-title">{_html.escape(title)}</p>\n{body}'
    return body


def formatter(
    src: str, language: str, css_class: str, options: dict[str, Any], md: Markdown,
    classes: list[str] | None = None, id_value: str = "", attrs: dict[str, Any] | None = None,
    **kwargs: Any,
) -> str:
    ctx = CONTEXT
    if ctx is None:
        raise SuperFencesException(
            "executable code block found but the blogcode plugin is not active: "
            "add '- blogcode' to plugins in mkdocs.yml"
        )
    spec = ctx.lookup(options.get("bc_block"))
    try:
        outcome = ctx.outcome(spec)
        shown = spec.option("source") in SOURCE_MODES - {""}
        source_html = ctx.source_html(spec) if shown else None
        return assemble(spec, outcome, source_html)
    except SuperFencesException:
        raise
    except Exception as exc:  # a bug in the machinery, not in the block: stop loudly
        log.exception("internal error while formatting block %s", spec.where)
        raise SuperFencesException(
            f"internal error while formatting block {spec.where}: {exc}"
        ) from exc
