import pytest

from blogcode.publish.mathtext import wrap_bare_refs
from blogcode.publish.readtime import readtime
from blogcode.publish.slugs import category_slug


def test_readtime_counts_cjk_characters():
    html = "<p>" + "状态空间模型" * 400 + "</p>"  # 2400 characters
    assert readtime(html, cjk_per_minute=400) == 6
    assert readtime("<p>短</p>") == 1
    assert readtime("<pre>" + "字" * 5000 + "</pre><p>字</p>") == 1  # code is not read


def test_bare_refs_wrapped_outside_math_and_code():
    html = '<p>由 \\eqref{eq:a} 得</p><code>\\eqref{x}</code><span class="arithmatex">\\(\\eqref{b}\\)</span>'
    out = wrap_bare_refs(html)
    assert '<span class="arithmatex">\\(\\eqref{eq:a}\\)</span>' in out
    assert "<code>\\eqref{x}</code>" in out and out.count("arithmatex") == 2


def test_category_slugs_ascii():
    assert category_slug("状态空间模型") == "ssm"
    with pytest.raises(ValueError, match="no URL slug"):
        category_slug("杂谈")


def test_device_override(monkeypatch):
    from blogcode.device import pick_device

    monkeypatch.setenv("BLOGCODE_DEVICE", "cpu")
    assert pick_device().type == "cpu"
    monkeypatch.setenv("BLOGCODE_DEVICE", "gpu")
    with pytest.raises(ValueError, match="not a valid torch device"):
        pick_device()


def test_topic_packages_do_not_import_mkdocs():
    """A reader can use blogcode in a notebook without any site machinery."""
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib, blogcode\n"
        "skip = {'blogcode.publish.plugin', 'blogcode.publish.fence', 'blogcode.publish.report'}\n"
        "for m in pkgutil.walk_packages(blogcode.__path__, 'blogcode.'):\n"
        "    if m.name not in skip and '.triton' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('mkdocs', 'material', 'pymdownx'))\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
