"""The MkDocs plugin: post conventions, the execution fence's build state, MathJax.

Registered as ``blogcode`` (entry point in pyproject.toml).  It only coordinates;
the work is done by the modules beside it.

Environment switches (for nox sessions and authors):

* ``BLOGCODE_CACHE=refresh`` — ignore stored results: execute every block (once),
  then store the results (``nox -s tests``, "build ignoring the cache");
  ``off`` — neither read nor write the cache; ``on`` (default) — use it.
* ``BLOGCODE_EXECUTE=0`` — do not execute blocks at all (the speed floor).
* ``BLOGCODE_CACHE_DIR``, ``BLOGCODE_REPORT`` — override the cache folder and
  the report file (benchmarks and tests use private ones).
* ``BLOGCODE_WORKERS`` — how many sessions run at once (default: the option
  ``workers``, else the number of cores).

Post code never runs in this process: every session has a worker process of its
own (:mod:`blogcode.publish.execution`).  Before any page is converted, the
plugin scans every page for executable blocks and submits the sessions that
miss the cache, longest first, so they run in parallel.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from markdown import Markdown
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import meta as mkdocs_meta
from mkdocs.utils.templates import TemplateContext

from . import assets, fence, frontmatter, guard, provenance, searchprep, standin
from .blocks import BlockSpec, front_matter_lines, parse_size, scan
from .cache import CacheSettings, ExecCache, stable_repr
from .citation import bibtex
from .execution import KEEP_IDLE, get_executor, scan_package
from .feed import excerpt_separator, write_feed
from .mathcheck import MathChecker
from .mathtext import wrap_bare_refs
from .readtime import readtime
from .report import build_report, summary_lines, write_report

log = logging.getLogger("mkdocs.plugins.blogcode")

POSTS_DIR = "posts/"
POST_TEMPLATE = "bc-post.html"

# State that must survive across rebuilds of `mkdocs serve` (the executor is one per process).
_CACHES: dict[str, ExecCache] = {}
_STANDINS: list[Path] = []  # the folder of serve's stand-in posts, made on first use


def _standin_dir() -> Path:
    if not _STANDINS:
        _STANDINS.append(Path(tempfile.mkdtemp(prefix="blogcode-standin-")))
    return _STANDINS[0]


class BlogcodeConfig(Config):
    #: MathJax's es5 folder (from `npm ci`), relative to mkdocs.yml; copied into the site.
    mathjax_dir = c.Type(str, default="node_modules/mathjax/es5")
    #: Folder of the execution cache, relative to mkdocs.yml (BLOGCODE_CACHE_DIR overrides).
    cache_dir = c.Type(str, default=".cache/blogcode-exec")
    #: JSON execution report written after each build (BLOGCODE_REPORT overrides).
    report = c.Type(str, default=".cache/blogcode-report.json")
    #: Seconds a block may run before its worker is killed (a fence option `timeout` overrides).
    timeout = c.Type((int, float), default=300)
    #: Memory (data segment) a session's worker may use, e.g. "4G" (fence option `memory`).
    memory = c.Type(str, default="4G")
    #: Output a block may print (its HTML, figures included) before it fails.
    max_output = c.Type(str, default="4M")
    #: Sessions run at once (0: one per core; BLOGCODE_WORKERS overrides).
    workers = c.Type(int, default=0)
    #: Seconds per session from the last builds: only orders the work (longest first).
    durations = c.Type(str, default=".cache/blogcode-durations.json")
    #: Reading speed in CJK characters per minute, for the reading time of posts.
    cjk_per_minute = c.Type(int, default=400)


def _under(root: Path, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else root / p


class BlogcodePlugin(BasePlugin[BlogcodeConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.posts: dict[str, frontmatter.PostMeta] = {}  # src_uri -> meta
        self.series: dict[str, frontmatter.Neighbours] = {}  # slug -> (prev, next, all)
        self.post_pages: dict[str, Page] = {}  # slug -> Page
        self.offsets: dict[str, int] = {}  # src_uri -> file lines before the Markdown body
        self.t0 = 0.0
        self.serving = False
        self.snapshot: guard.Snapshot | None = None
        self.watched: list[str] = []
        self.prefetched = 0
        self.math: MathChecker | None = None

    # Defining on_startup keeps one plugin instance for all rebuilds of `mkdocs serve`.
    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.t0 = time.perf_counter()
        self.posts, self.series, self.post_pages = {}, {}, {}
        self.offsets = {}
        self.root = root = Path(config.config_file_path).parent
        provenance.pin_source_date_epoch()
        try:
            self.mathjax_dir = assets.mathjax_folder(self.config.mathjax_dir, root)
            fence.check_registered(config.mdx_configs)
            settings = CacheSettings.from_env(self.config.cache_dir, root)
            memory = parse_size(self.config.memory)
            max_output = parse_size(self.config.max_output)
            workers = int(os.environ.get("BLOGCODE_WORKERS") or self.config.workers or 0)
        except ValueError as err:
            raise PluginError(f"blogcode plugin: {err}") from None
        except FileNotFoundError as err:
            raise PluginError(str(err)) from None
        cache = _CACHES.setdefault(str(settings.folder), ExecCache(settings.folder))
        cache.read, cache.write = settings.read, settings.write
        cache.reset_stats()
        graph = scan_package(
            Path(__file__).resolve().parents[1], settings.folder.parent / "blogcode-modules.json"
        )
        executor = get_executor()
        executor.root = root.resolve()
        executor.workers = workers if workers > 0 else (os.cpu_count() or 1)
        executor.timeout, executor.memory, executor.output_limit = (
            float(self.config.timeout), memory, max_output,
        )
        executor.keep_idle = KEEP_IDLE if self.serving else 0
        theme_dir = config.theme.custom_dir
        executor.protected = guard.protected_paths(
            root, docs_dir=config.docs_dir, site_dir=config.site_dir, theme_dir=theme_dir,
            config_file=config.config_file_path, cache_dir=settings.folder,
        )
        # Checked after the blocks ran (not under serve, where the author edits as it builds).
        self.watched = [
            p for p in (config.docs_dir, theme_dir, config.config_file_path, str(root / "site"))
            if p and os.path.realpath(p) != os.path.realpath(config.site_dir)
        ]
        # Outputs are rendered with the site's Markdown configuration, part of every cache key.
        extensions, configs = list(config.markdown_extensions), dict(config.mdx_configs)
        fence.CONTEXT = fence.BuildContext(
            cache=cache,
            executor=executor,
            environment=provenance.environment_fingerprint(stable_repr([extensions, configs])),
            graph=graph,
            markdown_factory=lambda: Markdown(extensions=extensions, extension_configs=configs),
            execute=settings.execute,
        )
        self.report_path = _under(root, os.environ.get("BLOGCODE_REPORT") or self.config.report)
        # Every page's math is typeset in Node (off the build's path) and must render.
        math_cache = settings.folder.parent if settings.write else None  # <parent>/mathcheck/
        self.math = MathChecker(
            root, math_cache, mathjax=self.mathjax_dir.parents[1] / "mathjax-full",
            config=Path(config.docs_dir) / "assets" / "javascripts" / "mathjax-config.js",
        )
        self.durations_path = _under(
            root, os.environ.get("BLOGCODE_DURATIONS") or self.config.durations
        )
        return config

    # Before the blog plugin (-50) reads the posts' front matter: a bad post fails here,
    # with a message naming the file and the key, not later inside Material.
    @event_priority(100)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if self.serving:  # a rebuild re-indexes only the pages whose content changed
            search = config.plugins.get("material/search") or config.plugins.get("search")
            index = getattr(search, "search_index", None)
            if index is not None and hasattr(index, "add_entry_from_context"):
                searchprep.reuse_unchanged_entries(index)
        for f in files:
            if f.src_uri.startswith(POSTS_DIR) and f.src_uri.endswith(".md") and f.abs_src_path:
                raw = Path(f.abs_src_path).read_text(encoding="utf-8-sig")
                path = f"docs/{f.src_uri}"
                try:
                    self.posts[f.src_uri] = frontmatter.parse(raw, path)
                except frontmatter.FrontMatterError as err:
                    if not self.serving:
                        raise PluginError(f"Invalid post front matter — {err}") from None
                    # `mkdocs serve` keeps going: the post becomes a page showing the error.
                    log.error("Invalid post front matter — %s", err)
                    stand_in = standin.write_stand_in(raw, path, str(err), _standin_dir())
                    f.abs_src_path = str(stand_in)
                    self.posts[f.src_uri] = frontmatter.parse(
                        Path(f.abs_src_path).read_text(encoding="utf-8"), path
                    )
        try:
            frontmatter.check_unique_slugs(self.posts.values())
            self.series = frontmatter.series_neighbours(list(self.posts.values()))
        except frontmatter.FrontMatterError as err:
            if not self.serving:
                raise PluginError(f"Invalid post front matter — {err}") from None
            log.error("Invalid post front matter — %s", err)
        for file in assets.mathjax_files(self.mathjax_dir, config):
            files.append(file)
        self._prefetch(files)
        return files

    def _prefetch(self, files: Files) -> None:
        """Scan every page for blocks and start the sessions that miss the cache."""
        ctx = fence.CONTEXT
        if ctx is None or not ctx.execute:
            return
        pages: dict[str, list[BlockSpec]] = {}
        for f in files.documentation_pages():
            if not f.abs_src_path:
                continue
            try:
                raw = Path(f.abs_src_path).read_text(encoding="utf-8-sig")
                markdown, _ = mkdocs_meta.get_data(raw)
            except (OSError, ValueError, UnicodeDecodeError):
                continue  # reported when the page itself is read
            if "exec=" not in markdown:
                continue
            _, blocks = scan(markdown, f"docs/{f.src_uri}", front_matter_lines(raw, markdown))
            if blocks:
                pages[f"docs/{f.src_uri}"] = blocks
        try:
            durations = json.loads(self.durations_path.read_text(encoding="utf-8"))
            assert isinstance(durations, dict)
        except (OSError, ValueError, AssertionError):
            durations = {}
        if not self.serving and self.snapshot is None:
            self.snapshot = guard.snapshot(self.watched)
        self.prefetched = ctx.prefetch(pages, durations)

    # Before the blog plugin (-50) copies the Markdown into the post's excerpt, which
    # listing pages render: blocks must already be tagged with their page and line there.
    @event_priority(100)
    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        uri = page.file.src_uri
        src = page.file.abs_src_path
        raw = Path(src).read_text(encoding="utf-8-sig") if src else markdown
        self.offsets[uri] = offset = front_matter_lines(raw, markdown)
        markdown, blocks = scan(markdown, f"docs/{uri}", offset)
        if fence.CONTEXT is not None:
            fence.CONTEXT.register(f"docs/{uri}", blocks)
        meta = self.posts.get(uri)
        if meta is not None:
            page.meta["template"] = POST_TEMPLATE
            self.post_pages[meta.slug] = page
        return markdown

    # Before the blog plugin (0), which computes its own readtime unless one is set.
    @event_priority(100)
    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        html = wrap_bare_refs(html)
        if page.markdown is not None and self.math is not None:
            offset = self.offsets.get(page.file.src_uri, 0)  # from on_page_markdown
            executed = fence.CONTEXT is None or fence.CONTEXT.execute  # False: BLOGCODE_EXECUTE=0
            self.math.add_page(f"docs/{page.file.src_uri}", page.markdown, html, offset,
                               outputs=executed)
        post_config = getattr(page, "config", None)  # Material's blog posts carry one
        if page.file.src_uri in self.posts and post_config is not None:
            if not getattr(post_config, "readtime", None):
                post_config.readtime = readtime(html, self.config.cjk_per_minute)
            # The page itself is rendered; listing pages only need its excerpt. Material's
            # blog plugin re-renders `page.markdown` for every listing page that shows the
            # post, so keep only the text above the separator (plus a marker, so the
            # "continue reading" link still appears).
            sep = excerpt_separator(config)
            if page.markdown and sep in page.markdown:
                page.markdown = page.markdown.split(sep, 1)[0] + sep + "\n\n…\n"
        return html

    # Before Material's search plugin indexes the page (priority 0): prose only.
    @event_priority(100)
    def _index_prose_only(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if searchprep.is_listing(page):  # excerpts the posts' own entries already hold
            page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
        elif page.content:
            page.content = searchprep.exclude_from_search(page.content)
        return context

    # After it: the published HTML carries none of the marks.
    @event_priority(-100)
    def _unmark_after_indexing(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if page.content:
            page.content = searchprep.unmark(page.content)
        return context

    def _post_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        meta = self.posts.get(page.file.src_uri)
        if meta is None:
            return context
        url = (config.site_url or "").rstrip("/") + "/" + page.url
        author = config.site_author or config.site_name
        prev, nxt, items = self.series.get(meta.slug, (None, None, []))
        context["bc"] = {  # type: ignore[typeddict-unknown-key]  # read by bc-post.html
            "meta": meta,
            "bibtex": bibtex(meta, site_name=config.site_name, author=author, url=url),
            "provenance": provenance.summary(),
            "series": {
                "name": meta.series.name,
                "items": [(m, self.post_pages.get(m.slug)) for m in items],
                "prev": (prev, self.post_pages.get(prev.slug)) if prev else None,
                "next": (nxt, self.post_pages.get(nxt.slug)) if nxt else None,
            } if meta.series else None,
        }
        return context

    on_page_context = CombinedEvent(_index_prose_only, _post_context, _unmark_after_indexing)

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        # Every page is converted, so every block it needs has run: did one touch the sources?
        if self.snapshot is not None and fence.CONTEXT is not None:
            changed = guard.changes(self.snapshot, guard.snapshot(self.watched), self.root)
            if changed and fence.CONTEXT.executor.stats.sessions:
                log.error(
                    "post code changed files it may not touch (sources, theme, config or "
                    "site): %s — a block must write only to its scratch folder "
                    "(tempfile.gettempdir())", "; ".join(changed),
                )
            self.snapshot = None
        return env

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        # An edit to blogcode re-runs (only) the sessions that import the edited module.
        server.watch(str(Path(__file__).resolve().parents[1]))
        return server

    def on_build_error(self, *, error: Exception) -> None:
        if self.math is not None:
            self.math.close()
            self.math = None

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.math is not None:
            for problem in self.math.finish():
                log.error("%s", problem)
            st = self.math.stats
            log.debug(
                "math check: %d page(s), %d from the cache, %d typeset in Node "
                "(%.2f s, waited %.2f s)", st.pages, st.cached, st.checked, st.node_seconds,
                st.wait_seconds,
            )
            self.math = None
        pages = self.post_pages
        write_feed([(m, pages[m.slug]) for m in self.posts.values() if m.slug in pages], config)
        ctx = fence.CONTEXT
        if ctx is None:
            return
        stats = ctx.executor.stats
        report = build_report(
            ctx.events, time.perf_counter() - self.t0,
            execution={
                "workers": ctx.executor.workers,
                "sessions": stats.sessions,
                "prefetched": self.prefetched,
                "wall_seconds": round(stats.wall_seconds, 3),
                "busy_seconds": round(stats.busy_seconds, 3),
                "zygote_seconds": round(ctx.executor.zygote_seconds, 3),
            },
            malformed=list(ctx.cache.malformed),
        )
        write_report(report, self.report_path)
        self._save_durations(ctx.durations)
        for line in summary_lines(report):
            log.info(line)
        if ctx.failures:
            where = ", ".join(f"{e.page}:{e.line}" for e in ctx.failures)
            log.error("%d code block(s) failed: %s", len(ctx.failures), where)

    def _save_durations(self, new: dict[str, float]) -> None:
        if not new:
            return
        try:
            old = json.loads(self.durations_path.read_text(encoding="utf-8"))
            assert isinstance(old, dict)
        except (OSError, ValueError, AssertionError):
            old = {}
        old.update({k: round(v, 3) for k, v in new.items()})
        self.durations_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.durations_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(old, sort_keys=True, indent=0), encoding="utf-8")
        os.replace(tmp, self.durations_path)

    def on_shutdown(self) -> None:
        fence.CONTEXT = None
        get_executor().shutdown()
        for folder in _STANDINS:
            shutil.rmtree(folder, ignore_errors=True)
