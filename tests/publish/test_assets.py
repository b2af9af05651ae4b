"""Finding MathJax and listing the files the site serves."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from blogcode.publish import assets


def test_missing_mathjax_says_how_to_install_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="MathJax not found at .*: run `npm ci` in"):
        assets.mathjax_folder("node_modules/mathjax/es5", tmp_path)


def test_bundle_and_loaded_folders_are_served(tmp_path):
    es5 = tmp_path / "mj"
    for rel in ("tex-chtml.js", "input/tex/extensions/boldsymbol.js", "ui/menu.js", "tex-svg.js"):
        (es5 / rel).parent.mkdir(parents=True, exist_ok=True)
        (es5 / rel).write_text("//")
    assert assets.mathjax_folder(str(es5), tmp_path / "elsewhere") == es5
    assert assets.mathjax_folder("mj", tmp_path) == es5
    config = SimpleNamespace(site_dir=str(tmp_path / "site"), use_directory_urls=True,
                             plugins=SimpleNamespace(_current_plugin="blogcode"))
    uris = sorted(f.src_uri for f in assets.mathjax_files(es5, config))
    assert uris == [
        "assets/mathjax/input/tex/extensions/boldsymbol.js",
        "assets/mathjax/tex-chtml.js",
        "assets/mathjax/ui/menu.js",
    ]
