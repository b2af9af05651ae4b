"""blogcode.publish.mathtext: bare \\eqref / \\ref in prose become inline math for MathJax."""

from blogcode.publish.mathtext import wrap_bare_refs


def wrapped(tex):
    return f'<span class="arithmatex">\\({tex}\\)</span>'


def test_bare_refs_wrapped_outside_math_and_code():
    html = ('<p>由 \\eqref{eq:a} 得</p><code>\\eqref{x}</code>'
            '<span class="arithmatex">\\(\\eqref{b}\\)</span>')
    out = wrap_bare_refs(html)
    assert '<span class="arithmatex">\\(\\eqref{eq:a}\\)</span>' in out
    assert "<code>\\eqref{x}</code>" in out and out.count("arithmatex") == 2


def test_exact_output_for_eqref_and_ref():
    html = "<p>见 \\ref{fig:1}。由 \\eqref{eq:a}、\\eqref{eq:b} 得</p>"
    assert wrap_bare_refs(html) == (
        f"<p>见 {wrapped(chr(92) + 'ref{fig:1}')}。由 {wrapped(chr(92) + 'eqref{eq:a}')}、"
        f"{wrapped(chr(92) + 'eqref{eq:b}')} 得</p>"
    )
    # at the very start and end of the input
    assert wrap_bare_refs("\\eqref{s}") == wrapped("\\eqref{s}")


def test_protected_regions_are_untouched():
    for html in (
        "<pre>\\eqref{p}</pre>",
        '<pre class="x"><code>\\eqref{p}\n\\ref{q}</code></pre>',
        "<script>var s = '\\\\eqref{s}';</script>",
        "<style>/* \\eqref{s} */</style>",
        "<svg><text>\\eqref{s}</text></svg>",
        '<div class="arithmatex">\\[x \\tag{1}\\label{eq:1}\\] \\eqref{eq:1}</div>',
        '<span class="arithmatex">\\(\\ref{a}\\)</span>',
        '<a title="\\eqref{t}" href="#eq:t">x</a>',  # inside a tag's attributes
        "<p>no references here, only $x$ and \\alpha{}</p>",
        "<p>\\eqref{}</p>",  # empty label: not a reference
        "",
    ):
        assert wrap_bare_refs(html) == html, html


def test_text_between_protected_regions_is_wrapped():
    html = "<code>\\ref{c}</code> \\ref{a} <pre>\\ref{p}</pre> \\eqref{b}"
    assert wrap_bare_refs(html) == (
        f"<code>\\ref{{c}}</code> {wrapped(chr(92) + 'ref{a}')} <pre>\\ref{{p}}</pre> "
        f"{wrapped(chr(92) + 'eqref{b}')}"
    )
    # each protected region ends at its own closing tag
    html = "<code>a</code> \\ref{m} <code>b</code><pre>c</pre>\\ref{n}<pre>d</pre>"
    out = wrap_bare_refs(html)
    assert wrapped("\\ref{m}") in out and wrapped("\\ref{n}") in out


def test_idempotent():
    html = "<p>由 \\eqref{eq:a} 与 \\ref{fig:b} 得</p><code>\\ref{c}</code>"
    once = wrap_bare_refs(html)
    assert once != html
    assert wrap_bare_refs(once) == once
