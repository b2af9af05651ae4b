"""blogcode.publish.searchprep: what Material's search indexes, and reuse across serve rebuilds."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from blogcode.publish import searchprep

search_plugin = pytest.importorskip("material.plugins.search.plugin")

PAGE_HTML = (
    '<h1 id="t">标题</h1><p>状态空间模型的推导，见 <span class="arithmatex">\\(x_t\\)</span>。</p>'
    '<figure><svg width="10"><path d="M0 0L9 9"/></svg><figcaption>图 1：衰减曲线</figcaption>'
    '</figure><pre><code>print("hello")</code></pre><h2 id="s">第二节</h2><p>位置编码。</p>'
)


def new_index():
    return search_plugin.SearchIndex(lang=["zh"], separator=r"[\s\u200b\-]+", pipeline=[],
                                     fields={})


def page(url: str, content: str, title: str = "标题", tags=None):
    return SimpleNamespace(url=url, title=title, content=content, toc=[],
                           meta={"tags": tags or []})


def texts(index) -> str:
    return " ".join(e["title"] + " " + e["text"] for e in index.entries).replace("\u200b", "")


def test_math_svg_and_code_are_not_indexed_but_captions_and_prose_are():
    index = new_index()
    p = page("a/", searchprep.exclude_from_search(PAGE_HTML))
    index.add_entry_from_context(p)
    text = texts(index)
    assert "状态空间模型的推导" in text and "衰减曲线" in text and "位置编码" in text
    assert "x_t" not in text and "M0 0" not in text and "hello" not in text
    # without the marks the same page would have put all three into the index
    plain = new_index()
    plain.add_entry_from_context(page("a/", PAGE_HTML))
    assert "x_t" in texts(plain) and "hello" in texts(plain)
    # and the published HTML is exactly the original once unmarked
    assert searchprep.unmark(searchprep.exclude_from_search(PAGE_HTML)) == PAGE_HTML


def test_rebuilds_reuse_unchanged_pages_and_reindex_changed_ones(monkeypatch):
    monkeypatch.setattr(searchprep, "_ENTRIES", {})
    pages = [page("a/", PAGE_HTML), page("b/", PAGE_HTML.replace("位置编码", "四元数"), tags=["x"])]

    def build(pages, calls):
        index = new_index()
        original = index.add_entry_from_context

        def counted(p):
            calls.append(p.url)
            original(p)

        index.add_entry_from_context = counted
        searchprep.reuse_unchanged_entries(index)
        searchprep.reuse_unchanged_entries(index)  # idempotent
        for p in pages:
            index.add_entry_from_context(p)
        return index.entries

    first_calls: list[str] = []
    first = build(pages, first_calls)
    assert first_calls == ["a/", "b/"]
    again_calls: list[str] = []
    assert build(pages, again_calls) == first and again_calls == []  # nothing re-parsed
    edited = [pages[0], page("b/", pages[1].content + "<p>新句子。</p>", tags=["x"])]
    edit_calls: list[str] = []
    got = build(edited, edit_calls)
    assert edit_calls == ["b/"]
    fresh = new_index()
    for p in edited:
        fresh.add_entry_from_context(p)
    assert got == fresh.entries  # the same entries a fresh index computes
    # a changed title or tags alone also re-indexes the page
    retitled_calls: list[str] = []
    build([page("a/", PAGE_HTML, title="新标题"), edited[1]], retitled_calls)
    assert retitled_calls == ["a/"]
    # reused entries are copies: editing one build's entries cannot leak into the next
    first[0]["text"] = "changed"
    assert build(edited, []) == fresh.entries
