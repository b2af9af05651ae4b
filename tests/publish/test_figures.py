import re

import numpy as np
import pytest

from blogcode.publish.figures import new_figure, svg_figure


def _fig():
    fig, ax = new_figure()
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.sin(6 * x), label="$\\sin 6x$")
    ax.legend()
    ax.set_xlabel("$t$")
    return fig


def test_svg_is_deterministic_and_self_contained():
    a = svg_figure(_fig(), caption="图：正弦", alt="a sine curve")
    b = svg_figure(_fig(), caption="图：正弦", alt="a sine curve")
    assert a == b
    assert "<svg" in a and "<figcaption>图：正弦</figcaption>" in a
    assert 'role="img"' in a and "<title" in a and "a sine curve" in a
    assert "dc:date" not in a and "<!--" not in a and "\n\n" not in a
    assert "http://" not in re.sub(r'xmlns(:\w+)?="[^"]+"', "", a)  # no external references


def test_ids_are_prefixed_per_figure():
    a = svg_figure(_fig(), caption="c", alt="a")
    ids = re.findall(r'\bid="([^"]+)"', a)
    assert ids and len(set(i.split("-")[0] for i in ids)) == 1
    for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', a):
        assert ref in ids


@pytest.mark.parametrize("kw", [{"caption": "", "alt": "x"}, {"caption": "x", "alt": " "}])
def test_caption_and_alt_required(kw):
    with pytest.raises(ValueError):
        svg_figure(_fig(), **kw)
