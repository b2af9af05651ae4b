"""The plugin's hooks without a full build: errors become PluginError naming what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from blogcode.publish import fence

ROOT = Path(__file__).resolve().parents[2]
MATHJAX = ROOT / "node_modules" / "mathjax" / "es5"
POST = """---
title: 标题
date: 2024-05-24
slug: {slug}
categories: [数学]
source: {{title: 原文, author: 作者, blog: 博客}}
---

摘要。
"""


@pytest.fixture
def config(monkeypatch):
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    cfg = load_config(str(ROOT / "mkdocs.yml"))
    yield cfg
    fence.CONTEXT = None


def _files(tmp_path: Path, posts: dict[str, str]) -> Files:
    (tmp_path / "posts").mkdir()
    out = []
    for name, text in posts.items():
        (tmp_path / "posts" / name).write_text(text, encoding="utf-8")
        out.append(File(f"posts/{name}", str(tmp_path), str(tmp_path / "site"), True))
    return Files(out)


def test_bad_cache_mode_names_the_value(config, monkeypatch):
    monkeypatch.setenv("BLOGCODE_CACHE", "sometimes")
    with pytest.raises(PluginError, match="must be on, off or refresh, not 'sometimes'"):
        config.plugins["blogcode"].on_config(config)


def test_missing_mathjax_says_how_to_install_it(config, tmp_path):
    plugin = config.plugins["blogcode"]
    plugin.config.mathjax_dir = str(tmp_path / "nowhere")
    with pytest.raises(PluginError, match="MathJax not found at .*nowhere: run `npm ci`"):
        plugin.on_config(config)


@pytest.mark.parametrize(
    "text, message",
    [
        ("title: x\n", "front matter missing"),
        ("---\ntitle: [x\n---\n", "front matter is not valid YAML"),
        ("---\n- a list\n---\n", "front matter must be a YAML mapping"),
        (POST.format(slug="x").replace("categories: [数学]", "categories: [杂谈]"),
         "key 'categories[0]': unknown category '杂谈'"),
    ],
)
def test_bad_front_matter_is_a_plugin_error(config, tmp_path, text, message):
    files = _files(tmp_path, {"p.md": text})
    pattern = r"docs/posts/p\.md(:\d+)?: .*" + message.replace("[", r"\[")
    with pytest.raises(PluginError, match=pattern):
        config.plugins["blogcode"].on_files(files, config=config)


def test_duplicate_slug_names_both_posts(config, tmp_path):
    files = _files(tmp_path, {"a.md": POST.format(slug="same"), "b.md": POST.format(slug="same")})
    with pytest.raises(PluginError) as err:
        config.plugins["blogcode"].on_files(files, config=config)
    want = "docs/posts/b.md: front matter key 'slug': 'same' is also used by docs/posts/a.md"
    assert want in str(err.value)


@pytest.mark.skipif(not (MATHJAX / "tex-chtml.js").is_file(), reason="no MathJax (npm ci)")
def test_posts_are_read_and_mathjax_is_served(config, tmp_path, monkeypatch):
    plugin = config.plugins["blogcode"]
    # Set by MkDocs while it runs a plugin's hook; generated files record it.
    monkeypatch.setattr(config.plugins, "_current_plugin", "blogcode", raising=False)
    plugin.mathjax_dir = MATHJAX
    files = _files(tmp_path, {"a.md": POST.format(slug="a"), "b.md": POST.format(slug="b")})
    out = plugin.on_files(files, config=config)
    assert sorted(m.slug for m in plugin.posts.values()) == ["a", "b"]
    assert out.get_file_from_path("assets/mathjax/tex-chtml.js") is not None


def test_categories_are_declared_once():
    """slugs.CATEGORY_SLUGS is the list; mkdocs.yml does not repeat it."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert not re.search(r"^\s*categories_allowed:", text, re.M)


@pytest.mark.skipif(not (MATHJAX / "tex-chtml.js").is_file(), reason="no MathJax (npm ci)")
def test_serve_watches_blogcode_and_keeps_going_on_bad_front_matter(config, tmp_path, monkeypatch):
    """Under serve, edits to blogcode trigger a rebuild, and a bad post becomes an error page
    at its own address instead of a failed build (a strict build still fails: see above)."""
    plugin = config.plugins["blogcode"]
    monkeypatch.setattr(config.plugins, "_current_plugin", "blogcode", raising=False)
    plugin.mathjax_dir = MATHJAX
    watched = []

    class Server:
        def watch(self, path):
            watched.append(path)

    plugin.on_serve(Server(), config=config, builder=None)
    assert watched == [str(ROOT / "blogcode")]
    plugin.on_startup(command="serve", dirty=False)
    try:
        bad = POST.format(slug="kept-slug").replace("date: 2024-05-24", "date: 2024-13-01")
        files = _files(tmp_path, {"p.md": bad})
        plugin.on_files(files, config=config)
        (f,) = [f for f in files if f.src_uri == "posts/p.md"]
        text = Path(f.abs_src_path).read_text(encoding="utf-8")
        assert "slug: kept-slug" in text and "2024-13-01 is not a calendar date" in text
        assert plugin.posts["posts/p.md"].slug == "kept-slug"
    finally:
        plugin.on_startup(command="build", dirty=False)
