"""A BibTeX entry for a post."""

from __future__ import annotations

from .frontmatter import PostMeta


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")


def _work(title: str | None) -> str:
    return f"《{title}》" if title else "的一篇文章（标题不详）"


def bibtex(meta: PostMeta, *, site_name: str, author: str, url: str) -> str:
    key = "blogcode:" + meta.slug
    fields = [
        ("title", meta.title),
        ("author", author),
        ("year", str(meta.date.year)),
        ("month", str(meta.date.month)),
        ("howpublished", site_name),
        ("url", url),
        ("note", f"基于{meta.source.author}{_work(meta.source.title)}（{meta.source.blog}）"),
    ]
    body = ",\n".join(f"  {k:<12} = {{{_escape(v)}}}" for k, v in fields)
    return f"@online{{{key},\n{body}\n}}"
