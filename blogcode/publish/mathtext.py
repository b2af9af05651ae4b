"""Small HTML fix-ups for math written in prose.

Arithmatex only marks up ``$...$`` and display blocks, so a bare ``\\eqref{x}``
in a sentence would reach the reader as raw TeX.  :func:`wrap_bare_refs` wraps
such references (outside math, code and tags) in the same markup arithmatex
uses for inline math, so MathJax resolves them to clickable numbers.
"""

from __future__ import annotations

import re

_PROTECT = re.compile(
    r'(<(pre|code|script|style|svg)\b.*?</\2>|<(span|div) class="arithmatex">.*?</\3>|<[^>]+>)',
    re.S,
)
_REF = re.compile(r"\\(eqref|ref)\{([^{}]+)\}")


def wrap_bare_refs(html: str) -> str:
    parts = _PROTECT.split(html)
    out = []
    i = 0
    # re.split with groups yields: text, whole-match, group2, group3, text, ...
    while i < len(parts):
        text = parts[i]
        out.append(_REF.sub(lambda m: f'<span class="arithmatex">\\({m.group(0)}\\)</span>', text))
        if i + 1 < len(parts):
            out.append(parts[i + 1])
        i += 4
    return "".join(out)
