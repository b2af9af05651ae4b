"""Topic packages, and the helpers posts import at build time, do not pull in the site machinery.

A reader can use ``blogcode`` in a notebook without MkDocs: every module outside
``blogcode.publish``, plus the ``blogcode.publish`` helpers that post code imports
(``POST_HELPERS``, and any ``blogcode.publish.X`` a post under docs/ imports), must import
without ``mkdocs``, ``material`` or ``pymdownx``.  The rest of ``blogcode.publish`` is build
machinery (plugin, fence, report, assets, ...) and may import them.  ``.triton`` modules are
skipped: they import triton.
"""

import json
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import blogcode

ROOT = Path(__file__).resolve().parents[1]
SITE_PACKAGES = ("mkdocs", "material", "pymdownx")
#: blogcode.publish modules that post code may import (in a build or in a notebook).
POST_HELPERS = {"figures", "results", "deps", "notices", "fmt"}

# Imports each module named on the command line in turn and reports, as JSON, which site
# packages each one brought into sys.modules (modules imported earlier are already loaded, so
# each offender is reported against the first module that pulled it in).
_PROBE = textwrap.dedent("""
    import importlib, json, sys
    site = tuple(sys.argv[1].split(","))
    found = {}
    for name in sys.argv[2:]:
        importlib.import_module(name)
        bad = sorted(n for n in sys.modules
                     if n.split(".")[0] in site and not any(n in v for v in found.values()))
        if bad:
            found[name] = bad
    print(json.dumps(found))
""")


def probe(modules, extra_path=None):
    """{module: [site-package modules it imported]} for modules imported in a fresh Python."""
    env_path = [str(extra_path)] if extra_path else []
    code = f"import sys; sys.path[:0] = {env_path!r}\n" + _PROBE
    out = subprocess.run([sys.executable, "-c", code, ",".join(SITE_PACKAGES), *modules],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def post_imports():
    """blogcode.publish submodules imported by code in the posts."""
    names = set()
    pattern = re.compile(r"\b(?:from|import)\s+blogcode\.publish\.(\w+)")
    for md in (ROOT / "docs").rglob("*.md"):
        names.update(pattern.findall(md.read_text(encoding="utf-8")))
    return names


def must_be_plain():
    """Every blogcode module that must import without the site machinery, sorted."""
    helpers = POST_HELPERS | post_imports()
    keep = []
    for m in pkgutil.walk_packages(blogcode.__path__, "blogcode."):
        parts = m.name.split(".")
        if any(p.startswith("triton") for p in parts[1:]):  # '.triton' modules import triton
            continue
        if parts[1] == "publish" and len(parts) > 2 and parts[2] not in helpers:
            continue  # build machinery
        keep.append(m.name)
    return sorted(keep)


def test_topic_packages_do_not_import_mkdocs():
    """A reader can use blogcode in a notebook without any site machinery."""
    modules = must_be_plain()
    # the rule covers what it should: the topic packages and the post helpers that exist
    assert "blogcode.publish" in modules and "blogcode.device" in modules
    for pkg in ("ssm", "rwkv", "mamba", "transforms"):
        assert any(m.startswith(f"blogcode.{pkg}.") for m in modules), pkg
    for helper in POST_HELPERS | post_imports():
        if (ROOT / "blogcode" / "publish" / f"{helper}.py").is_file():
            assert f"blogcode.publish.{helper}" in modules, helper
    assert "blogcode.publish.plugin" not in modules
    assert not any(".triton" in m for m in modules)
    assert "blogcode.ssm.selective_scan" in modules  # a package holding a .triton module
    assert probe(modules) == {}


def test_posts_import_only_plain_publish_helpers():
    # a post that imported build machinery would make it part of the notebook-facing API
    assert post_imports() <= POST_HELPERS, post_imports() - POST_HELPERS
    assert "figures" in post_imports()  # the scan of docs/ finds the imports that are there


def test_probe_catches_an_import_of_mkdocs(tmp_path):
    # the check can fail: a module importing mkdocs (directly or through another) is reported
    (tmp_path / "plainmod.py").write_text("import json\n")
    (tmp_path / "sitemod.py").write_text("import mkdocs.plugins\n")
    (tmp_path / "viamod.py").write_text("import sitemod2\n")
    (tmp_path / "sitemod2.py").write_text("from pymdownx import superfences\n")
    found = probe(["plainmod", "sitemod", "viamod"], extra_path=tmp_path)
    assert set(found) == {"sitemod", "viamod"}
    assert "mkdocs.plugins" in found["sitemod"] and "pymdownx" in found["viamod"]
    # and the build machinery really does import it (so skipping it is a real exemption)
    assert "blogcode.publish.plugin" in probe(["blogcode.publish.plugin"])
