"""The MathJax the site serves itself (from the npm package ``mathjax``, never a CDN).

:func:`mathjax_folder` finds MathJax's ``es5`` folder and :func:`mathjax_files`
lists the files to copy into the site under ``assets/mathjax/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when called: only the plugin and the fence import MkDocs
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import File

#: Served as-is (relative to the es5 folder): the TeX→CHTML bundle ...
MATHJAX_FILES = ("tex-chtml.js",)
#: ... and the folders of what it loads on demand: extensions (e.g. boldsymbol), fonts.
MATHJAX_DIRS = ("input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y")
SITE_FOLDER = "assets/mathjax"


def mathjax_folder(configured: str, root: Path) -> Path:
    """The es5 folder named by ``configured`` (relative to ``root``, the mkdocs.yml folder).

    Raises FileNotFoundError saying how to install MathJax when it is not there.
    """
    folder = Path(configured)
    folder = folder if folder.is_absolute() else root / folder
    if not (folder / MATHJAX_FILES[0]).is_file():
        raise FileNotFoundError(
            f"MathJax not found at {folder}: run `npm ci` in {root} "
            "(nox sessions do this for you) — the site serves MathJax itself, never from a CDN"
        )
    return folder


def mathjax_files(folder: Path, config: MkDocsConfig) -> list[File]:
    """Generated site files for MathJax's bundle and everything it may load."""
    from mkdocs.structure.files import File

    rels = list(MATHJAX_FILES)
    for d in MATHJAX_DIRS:
        rels += [str(p.relative_to(folder)) for p in sorted((folder / d).rglob("*")) if p.is_file()]
    return [
        File.generated(config, f"{SITE_FOLDER}/{rel}", abs_src_path=str(folder / rel))
        for rel in rels
    ]
