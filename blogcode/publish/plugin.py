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
import sys
import time
from pathlib import Path

import yaml
from markdown import Markdown
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files

from . import fence, frontmatter, provenance
from .blocks import front_matter_lines, scan
from .cache import ExecCache
from .citation import bibtex
from .execution import MACHINERY, Executor, scan_package
from .feed import atom
from .mathtext import wrap_bare_refs
from .readtime import readtime
from .report import build_report, summary_lines, write_report

log = logging.getLogger("mkdocs.plugins.blogcode")

POSTS_DIR = "posts/"
POST_TEMPLATE = "bc-post.html"
# MathJax files the site serves (relative to MathJax's es5 folder): the TeX→CHTML
# bundle, the extensions it autoloads (e.g. boldsymbol) and its fonts.
MATHJAX_FILES = ("tex-chtml.js",)
MATHJAX_DIRS = ("input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y")

# State that must survive across rebuilds of `mkdocs serve` (which re-creates plugins).
_EXECUTOR = Executor()
_CACHES: dict[str, ExecCache] = {}
_LOADED_HASHES: dict[str, str] = {}


class BlogcodeConfig(Config):
    mathjax_dir = c.Type(str, default="node_modules/mathjax/es5")
    cache_dir = c.Type(str, default=".cache/blogcode-exec")
    report = c.Type(str, default=".cache/blogcode-report.json")
    timeout = c.Type((int, float), default=300)
    cjk_per_minute = c.Type(int, default=400)


def _package_root() -> Path:
    return Path(__file__).resolve().parents[1]


def _purge_changed_modules(graph) -> int:
    """Forget blogcode modules whose source changed since they were imported."""
    changed = [
        name for name, digest in _LOADED_HASHES.items()
        if name in sys.modules and graph.get(name) and graph[name].digest != digest
    ]
    if changed:
        for name in list(sys.modules):
            if name.startswith("blogcode.") and name not in MACHINERY:
                del sys.modules[name]
        _EXECUTOR.reset()
    for name, info in graph.items():
        _LOADED_HASHES[name] = info.digest
    return len(changed)


def _stable_repr(obj) -> str:
    """A repr that is the same in every process (no memory addresses): for cache keys."""
    if isinstance(obj, dict):
        return "{" + ",".join(f"{_stable_repr(k)}:{_stable_repr(v)}" for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_stable_repr(v) for v in obj) + "]"
    if isinstance(obj, (str, int, float, bool, type(None))):
        return repr(obj)
    if callable(obj):
        return f"<{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}>"
    return f"<{type(obj).__module__}.{type(obj).__qualname__}>"


class BlogcodePlugin(BasePlugin[BlogcodeConfig]):
    supports_multiple_instances = False

    def __init__(self):
        self.posts: dict[str, frontmatter.PostMeta] = {}  # src_uri -> meta
        self.series: dict = {}
        self.post_pages: dict[str, object] = {}  # slug -> Page
        self.t0 = 0.0

    # -- configuration ------------------------------------------------------
    def on_config(self, config):
        self.t0 = time.perf_counter()
        root = Path(config.config_file_path).parent
        # Dates MkDocs writes (sitemap lastmod, page update dates, the gzip header) come
        # from SOURCE_DATE_EPOCH: pin it to the commit so a commit always builds the same site.
        if "SOURCE_DATE_EPOCH" not in os.environ and provenance.commit_epoch() is not None:
            os.environ["SOURCE_DATE_EPOCH"] = str(provenance.commit_epoch())
        mj = Path(self.config.mathjax_dir)
        self.mathjax_dir = mj if mj.is_absolute() else root / mj
        if not (self.mathjax_dir / MATHJAX_FILES[0]).is_file():
            raise PluginError(
                f"MathJax not found at {self.mathjax_dir}: run `npm ci` in {root} "
                "(nox sessions do this for you) — the site serves MathJax itself, never from a CDN"
            )
        fences = config.mdx_configs.get("pymdownx.superfences", {}).get("custom_fences", [])
        if not any(f.get("format") is fence.formatter for f in fences):
            raise PluginError("mkdocs.yml: pymdownx.superfences must register blogcode.publish.fence.formatter for 'python'")

        mode = os.environ.get("BLOGCODE_CACHE", "on").lower()
        if mode not in ("on", "off", "refresh"):
            raise PluginError(f"BLOGCODE_CACHE must be on, off or refresh, not {mode!r}")
        execute = os.environ.get("BLOGCODE_EXECUTE", "1").lower() not in ("0", "off", "no", "false")
        cache_dir = Path(os.environ.get("BLOGCODE_CACHE_DIR") or self.config.cache_dir)
        cache_dir = cache_dir if cache_dir.is_absolute() else root / cache_dir
        cache = _CACHES.setdefault(str(cache_dir), ExecCache(cache_dir))
        cache.read = mode == "on"
        cache.write = mode != "off"
        if mode != "on":
            _EXECUTOR.reset()

        graph = scan_package(_package_root())
        if _purge_changed_modules(graph):
            log.info("blogcode sources changed: modules reloaded, sessions reset")
        _EXECUTOR.timeout = float(self.config.timeout)

        extensions, configs = list(config.markdown_extensions), dict(config.mdx_configs)

        def markdown_factory():
            return Markdown(extensions=extensions, extension_configs=configs)

        md_fingerprint = _stable_repr([extensions, configs])
        fence.CONTEXT = fence.BuildContext(
            cache=cache,
            executor=_EXECUTOR,
            environment=provenance.environment_fingerprint(md_fingerprint),
            graph=graph,
            markdown_factory=markdown_factory,
            execute=execute,
        )
        self.report_path = Path(os.environ.get("BLOGCODE_REPORT") or self.config.report)
        if not self.report_path.is_absolute():
            self.report_path = root / self.report_path
        return config

    # -- files: validate every post's front matter before the blog plugin reads it
    @event_priority(100)
    def on_files(self, files: Files, config):
        self.posts.clear()
        for f in files:
            if not (f.src_uri.startswith(POSTS_DIR) and f.src_uri.endswith(".md")):
                continue
            raw = Path(f.abs_src_path).read_text(encoding="utf-8-sig")
            meta = self._front_matter(raw, f.src_uri)
            try:
                self.posts[f.src_uri] = frontmatter.validate(meta, f"docs/{f.src_uri}")
            except frontmatter.FrontMatterError as err:
                raise PluginError(f"Invalid post front matter — {err}") from None
        slugs: dict[str, str] = {}
        for uri, meta in self.posts.items():
            if meta.slug in slugs:
                raise PluginError(f"docs/{uri}: front matter key 'slug': {meta.slug!r} is also used by docs/{slugs[meta.slug]}")
            slugs[meta.slug] = uri
        try:
            self.series = frontmatter.series_neighbours(list(self.posts.values()))
        except frontmatter.FrontMatterError as err:
            raise PluginError(f"Invalid post front matter — {err}") from None
        self._add_mathjax(files, config)
        return files

    @staticmethod
    def _front_matter(raw: str, uri: str) -> dict:
        if not raw.startswith("---"):
            raise PluginError(f"docs/{uri}: front matter missing: a post must start with a YAML block between '---' lines")
        try:
            _, block, _ = raw.split("---", 2)
            meta = yaml.safe_load(block) or {}
        except ValueError:
            raise PluginError(f"docs/{uri}: front matter is not closed by a '---' line") from None
        except yaml.YAMLError as err:
            raise PluginError(f"docs/{uri}: front matter is not valid YAML: {err}") from None
        if not isinstance(meta, dict):
            raise PluginError(f"docs/{uri}: front matter must be a YAML mapping")
        return meta

    def _add_mathjax(self, files: Files, config) -> None:
        rels = list(MATHJAX_FILES)
        for d in MATHJAX_DIRS:
            base = self.mathjax_dir / d
            rels += [str(p.relative_to(self.mathjax_dir)) for p in sorted(base.rglob("*")) if p.is_file()]
        for rel in rels:
            files.append(File.generated(config, f"assets/mathjax/{rel}", abs_src_path=str(self.mathjax_dir / rel)))

    # -- pages ----------------------------------------------------------------
    @event_priority(100)
    def on_page_markdown(self, markdown, *, page, config, files):
        uri = page.file.src_uri
        raw = Path(page.file.abs_src_path).read_text(encoding="utf-8-sig") if page.file.abs_src_path else markdown
        markdown, blocks = scan(markdown, f"docs/{uri}", front_matter_lines(raw, markdown))
        if fence.CONTEXT is not None:
            fence.CONTEXT.register(f"docs/{uri}", blocks)
        meta = self.posts.get(uri)
        if meta is not None:
            page.meta["template"] = POST_TEMPLATE
            self.post_pages[meta.slug] = page
        return markdown

    @event_priority(100)  # before the blog plugin, which keeps a readtime that is already set
    def on_page_content(self, html, *, page, config, files):
        html = wrap_bare_refs(html)
        if page.file.src_uri in self.posts and getattr(page, "config", None) is not None:
            if not getattr(page.config, "readtime", None):
                page.config.readtime = readtime(html, self.config.cjk_per_minute)
            # The page itself is rendered; listing pages only need its excerpt. Material's
            # blog plugin re-renders `page.markdown` for every listing page that shows the
            # post, so keep only the text above the separator (plus a marker, so the
            # "continue reading" link still appears).
            blog = config.plugins.get("material/blog")
            sep = blog.config.post_excerpt_separator if blog is not None else "<!-- more -->"
            if sep in page.markdown:
                page.markdown = page.markdown.split(sep, 1)[0] + sep + "\n\n…\n"
        return html

    def on_page_context(self, context, *, page, config, nav):
        meta = self.posts.get(page.file.src_uri)
        if meta is None:
            return context
        url = (config.site_url or "").rstrip("/") + "/" + page.url
        prev, nxt, items = self.series.get(meta.slug, (None, None, []))
        context["bc"] = {
            "meta": meta,
            "bibtex": bibtex(meta, site_name=config.site_name, author=config.site_author or config.site_name, url=url),
            "provenance": provenance.summary(),
            "series": {
                "name": meta.series.name,
                "items": [(m, self.post_pages.get(m.slug)) for m in items],
                "prev": (prev, self.post_pages.get(prev.slug)) if prev else None,
                "next": (nxt, self.post_pages.get(nxt.slug)) if nxt else None,
            } if meta.series else None,
        }
        return context

    def on_post_build(self, config):
        self._write_feed(config)
        ctx = fence.CONTEXT
        if ctx is None:
            return
        report = build_report(ctx.events, time.perf_counter() - self.t0)
        write_report(report, self.report_path)
        for line in summary_lines(report):
            log.info(line)
        if ctx.failures:
            log.error(
                "%d code block(s) failed: %s", len(ctx.failures),
                ", ".join(f"{e.page}:{e.line}" for e in ctx.failures),
            )

    def _write_feed(self, config) -> None:
        base = (config.site_url or "/").rstrip("/") + "/"
        entries = []
        for meta in self.posts.values():
            page = self.post_pages.get(meta.slug)
            if page is None:
                continue
            summary = (page.content or "").split("<!-- more -->", 1)[0]
            entries.append((meta, base + page.url, summary))
        xml = atom(entries, title=config.site_name, site_url=base,
                   author=config.site_author or config.site_name, subtitle=config.site_description or "")
        Path(config.site_dir, "feed.xml").write_text(xml, encoding="utf-8")

    def on_shutdown(self):
        fence.CONTEXT = None
