"""Build the real site, or a small throwaway site that uses the same configuration."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
POSTS = sorted((ROOT / "docs" / "posts").glob("*.md"))


@dataclass
class Build:
    returncode: int
    log: str
    site: Path
    report: dict

    def page(self, url: str) -> str:
        return (self.site / url / "index.html").read_text(encoding="utf-8")

    def problems(self, tail: int = 3000) -> str:
        """The log's ERROR and WARNING lines (each names its page), then the log's end."""
        lines = [ln for ln in self.log.splitlines()
                 if ln.startswith(("ERROR", "WARNING")) or " ERROR " in ln]
        head = "\n".join(lines[:60]) + (f"\n... {len(lines) - 60} more" if len(lines) > 60 else "")
        return f"{head}\n--- end of the log ---\n{self.log[-tail:]}"


def front_matter(path: Path) -> dict:
    raw = path.read_text(encoding="utf-8")
    return yaml.safe_load(raw.split("---", 2)[1])


def run_build(project: Path, site: Path, *, cache: str = "off", extra_env: dict | None = None, timeout: int = 1800) -> Build:
    report = site.parent / ".cache" / f"{site.name}-report.json"
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "BLOGCODE_CACHE": cache,
        "PYTHONHASHSEED": "0",
        **(extra_env or {}),
    }
    # The report location is a plugin option; pass it through a config override file.
    cfg = project / "mkdocs.yml"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(cfg), "-d", str(site)],
        cwd=project, env={**env, "BLOGCODE_REPORT": str(report)}, capture_output=True, text=True, timeout=timeout,
    )
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return Build(proc.returncode, proc.stdout + proc.stderr, site, data)


def make_project(tmp: Path, posts: dict[str, str], *, cache_dir: Path | None = None) -> Path:
    """A copy of the site configuration with only ``posts`` (file name -> text)."""
    docs = tmp / "docs"
    (docs / "posts").mkdir(parents=True)
    shutil.copytree(ROOT / "docs" / "assets", docs / "assets")
    for name in ("index.md", "about.md", "tags.md"):
        shutil.copy(ROOT / "docs" / name, docs / name)
    for name, text in posts.items():
        (docs / "posts" / name).write_text(text, encoding="utf-8")
    cfg = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    cfg = cfg.replace("custom_dir: overrides", f"custom_dir: {ROOT / 'overrides'}")
    cfg = re.sub(r"mathjax_dir: .*", f"mathjax_dir: {ROOT / 'node_modules/mathjax/es5'}", cfg)
    cfg = cfg.replace("- blogcode:\n", f"- blogcode:\n      cache_dir: {cache_dir or tmp / 'cache'}\n")
    (tmp / "mkdocs.yml").write_text(cfg, encoding="utf-8")
    return tmp


POST_TEMPLATE = """---
title: 测试文章
date: 2024-05-24
slug: {slug}
categories:
  - 数学
source:
  title: 原文
  author: 作者
  blog: 博客
{extra}---

摘要。

<!-- more -->

## 正文

{body}
"""


def post(body: str = "正文。", slug: str = "test-post", extra: str = "") -> str:
    return POST_TEMPLATE.format(slug=slug, body=body, extra=extra)
