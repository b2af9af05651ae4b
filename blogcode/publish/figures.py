"""Matplotlib figures as deterministic inline SVG with caption and alt text.

A post block does::

    from blogcode.publish.figures import new_figure, svg_figure
    fig, ax = new_figure()
    ax.plot(x, y)
    print(svg_figure(fig, caption="图 1：……", alt="a line plot of ..."))

The SVG is byte-reproducible: a fixed style, a fixed ``svg.hashsalt``, no date or
creator metadata, text drawn as paths (no font needed in the reader's browser),
and element ids prefixed per figure so several figures can share a page.
Labels should be ASCII or mathtext: no CJK font is assumed on the build machine.
This module imports matplotlib lazily and never imports MkDocs.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The fixed style every figure is drawn with.
STYLE: dict[str, Any] = {
    "svg.hashsalt": "blogcode",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 10.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "lines.linewidth": 1.6,
    "legend.frameon": False,
    "path.simplify": True,
}

_ID_RE = re.compile(r'\bid="([^"]+)"')


def _matplotlib() -> tuple[ModuleType, ModuleType]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return matplotlib, plt


def new_figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 3.6, **kw: Any
) -> tuple[Figure, Any]:
    """``plt.subplots`` under the blog's fixed style. Returns ``(fig, axes)``."""
    matplotlib, plt = _matplotlib()
    with matplotlib.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), **kw)
    return fig, axes


def _prefix_ids(svg: str, prefix: str) -> str:
    ids = _ID_RE.findall(svg)
    if not ids:
        return svg
    # Longest first so that "a1" is not replaced inside "a10".
    names = sorted(set(ids), key=len, reverse=True)
    pattern = re.compile(
        r'(id="|#|xlink:href="#|href="#)(' + "|".join(re.escape(n) for n in names) + r')(?=["\)])'
    )
    return pattern.sub(lambda m: m.group(1) + prefix + m.group(2), svg)


def render_svg(fig: Figure) -> str:
    """The figure as an SVG string (no XML prolog, no metadata, ids unprefixed)."""
    matplotlib, plt = _matplotlib()
    buf = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None})
    plt.close(fig)
    svg = buf.getvalue()
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError("matplotlib produced no <svg> element")
    svg = svg[start:]
    # Comments carry nothing a reader needs.
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Blank lines would end a raw-HTML block in Markdown; drop them.
    svg = "\n".join(line for line in svg.splitlines() if line.strip())
    return svg


def svg_figure(fig: Figure, *, caption: str, alt: str, width: str | None = None) -> str:
    """Render ``fig`` as a ``<figure>`` with inline SVG, a caption and alt text.

    ``caption`` is shown under the figure (HTML-escaped, may be Chinese);
    ``alt`` is the text alternative for screen readers and must describe what the
    figure shows.  Both are required and must be non-empty.
    """
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError("svg_figure: 'caption' must be a non-empty string")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("svg_figure: 'alt' must be a non-empty string describing the figure")
    svg = render_svg(fig)
    prefix = "f" + hashlib.sha256(svg.encode()).hexdigest()[:8] + "-"
    svg = _prefix_ids(svg, prefix)
    alt_esc = html.escape(alt.strip(), quote=True)
    title_id = prefix + "title"
    svg = svg.replace(
        "<svg",
        f'<svg role="img" aria-labelledby="{title_id}"',
        1,
    )
    # The <title> child is the accessible name; insert it right after the opening tag.
    end = svg.find(">") + 1
    svg = svg[:end] + f'<title id="{title_id}">{alt_esc}</title>' + svg[end:]
    style = f' style="max-width:{html.escape(width, quote=True)}"' if width else ""
    return (
        f'<figure class="bc-figure"{style}>\n{svg}\n'
        f"<figcaption>{html.escape(caption.strip())}</figcaption>\n</figure>\n"
    )
