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
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from markdown import Markdown
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from . import assets, fence, frontmatter, provenance
from .blocks import front_matter_lines, scan
from .cache import CacheSettings, ExecCache, stable_repr
from .citation import bibtex
from .execution import Executor, scan_package
from .feed import excerpt_separator, write_feed
from .mathtext import wrap_bare_refs
from .readtime import readtime
from .report import build_report, summary_lines, write_report

log = logging.getLogger("mkdocs.plugins.blogcode")

POSTS_DIR = "posts/"
POST_TEMPLATE = "bc-post.html"

# State that must survive across rebuilds of `mkdocs serve` (which re-creates plugins).
_EXECUTOR = Executor()
_CACHES: dict[str, ExecCache] = {}


class BlogcodeConfig(Config):
    #: MathJax's es5 folder (from `npm ci`), relative to mkdocs.yml; copied into the site.
    mathjax_dir = c.Type(str, default="node_modules/mathjax/es5")
    #: Folder of the execution cache, relative to mkdocs.yml (BLOGCODE_CACHE_DIR overrides).
    cache_dir = c.Type(str, default=".cache/blogcode-exec")
    #: JSON execution report written after each build (BLOGCODE_REPORT overrides).
    report = c.Type(str, default=".cache/blogcode-report.json")
    #: Seconds a block may run before it is stopped (a fence option `timeout` overrides).
    timeout = c.Type((int, float), default=300)
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
        self.t0 = 0.0

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.t0 = time.perf_counter()
        root = Path(config.config_file_path).parent
        provenance.pin_source_date_epoch()
        try:
            self.mathjax_dir = assets.mathjax_folder(self.config.mathjax_dir, root)
            fence.check_registered(config.mdx_configs)
            settings = CacheSettings.from_env(self.config.cache_dir, root)
        except (FileNotFoundError, ValueError) as err:
            raise PluginError(str(err)) from None
        cache = _CACHES.setdefault(str(settings.folder), ExecCache(settings.folder))
        cache.read, cache.write = settings.read, settings.write
        if not settings.read:
            _EXECUTOR.reset()
        graph = scan_package(Path(__file__).resolve().parents[1])
        if _EXECUTOR.purge_changed_modules(graph):
            log.info("blogcode sources changed: modules reloaded, sessions reset")
        _EXECUTOR.timeout = float(self.config.timeout)
        # Outputs are rendered with the site's Markdown configuration, part of every cache key.
        extensions, configs = list(config.markdown_extensions), dict(config.mdx_configs)
        fence.CONTEXT = fence.BuildContext(
            cache=cache,
            executor=_EXECUTOR,
            environment=provenance.environment_fingerprint(stable_repr([extensions, configs])),
            graph=graph,
            markdown_factory=lambda: Markdown(extensions=extensions, extension_configs=configs),
            execute=settings.execute,
        )
        self.report_path = _under(root, os.environ.get("BLOGCODE_REPORT") or self.config.report)
        return config

    # Before the blog plugin (-50) reads the posts' front matter: a bad post fails here,
    # with a message naming the file and the key, not later inside Material.
    @event_priority(100)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        self.posts.clear()
        try:
            for f in files:
                if f.src_uri.startswith(POSTS_DIR) and f.src_uri.endswith(".md") and f.abs_src_path:
                    raw = Path(f.abs_src_path).read_text(encoding="utf-8-sig")
                    self.posts[f.src_uri] = frontmatter.parse(raw, f"docs/{f.src_uri}")
            frontmatter.check_unique_slugs(self.posts.values())
            self.series = frontmatter.series_neighbours(list(self.posts.values()))
        except frontmatter.FrontMatterError as err:
            raise PluginError(f"Invalid post front matter — {err}") from None
        for file in assets.mathjax_files(self.mathjax_dir, config):
            files.append(file)
        return files

    # Before the blog plugin (-50) copies the Markdown into the post's excerpt, which
    # listing pages render: blocks must already be tagged with their page and line there.
    @event_priority(100)
    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        uri = page.file.src_uri
        src = page.file.abs_src_path
        raw = Path(src).read_text(encoding="utf-8-sig") if src else markdown
        markdown, blocks = scan(markdown, f"docs/{uri}", front_matter_lines(raw, markdown))
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

    def on_page_context(
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

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        pages = self.post_pages
        write_feed([(m, pages[m.slug]) for m in self.posts.values() if m.slug in pages], config)
        ctx = fence.CONTEXT
        if ctx is None:
            return
        report = build_report(ctx.events, time.perf_counter() - self.t0)
        write_report(report, self.report_path)
        for line in summary_lines(report):
            log.info(line)
        if ctx.failures:
            where = ", ".join(f"{e.page}:{e.line}" for e in ctx.failures)
            log.error("%d code block(s) failed: %s", len(ctx.failures), where)

    def on_shutdown(self) -> None:
        fence.CONTEXT = None
