"""blogcode.publish.readtime: reading time that counts every Chinese character."""

from blogcode.publish.readtime import readtime

HUGE = 10**9  # a rate so high that its share of the minutes is below one


def test_readtime_counts_cjk_characters():
    html = "<p>" + "状态空间模型" * 400 + "</p>"  # 2400 characters
    assert readtime(html, cjk_per_minute=400) == 6
    assert readtime("<p>短</p>") == 1
    assert readtime("<pre>" + "字" * 5000 + "</pre><p>字</p>") == 1  # code is not read


# Hand count: CJK 第一节 (3) + 状态空间模型 (6) + 把输入 (3) + 映射到输出 (5) + 见 (1)
# + 论文 (2) = 20; words: SSM, y = 2.  Not counted: full-width punctuation, the math span,
# the tag attributes, the <pre> block.
HAND = (
    '<h2 id="di-yi-jie">第一节</h2>'
    '<p>状态空间模型（SSM）把输入 <span class="arithmatex">\\(u(t) = 输入\\)</span> 映射到输出 y，'
    '见 <a href="https://example.com/state-space" title="某篇文章">论文</a>。</p>'
    "<pre><code>for t in range(L):  # 状态\n    pass</code></pre>"
)
HAND_CJK, HAND_WORDS = 20, 2


def test_readtime_matches_a_hand_count():
    # at one character / word per minute the minutes are exactly the counts
    assert readtime(HAND, cjk_per_minute=1, words_per_minute=1) == HAND_CJK + HAND_WORDS
    assert readtime(HAND, cjk_per_minute=1, words_per_minute=HUGE) == HAND_CJK + 1
    assert readtime(HAND, cjk_per_minute=HUGE, words_per_minute=1) == HAND_WORDS + 1


def test_readtime_rounds_up_and_adds_both_rates():
    cjk400 = "模型" * 200
    words220 = " word" * 220
    assert readtime(f"<p>{cjk400}</p>") == 1
    assert readtime(f"<p>{cjk400}字</p>") == 2  # 401 / 400 rounds up
    assert readtime(f"<p>{words220}</p>") == 1
    assert readtime(f"<p>{words220} more</p>") == 2
    assert readtime(f"<p>{cjk400}{words220}</p>") == 2  # 400/400 + 220/220
    assert readtime(f"<p>{cjk400}{words220} one</p>") == 3
    assert readtime("") == 1 and readtime("<p></p>") == 1  # never zero minutes


def test_what_is_not_read():
    many = "字" * 4000  # ten minutes if it were read
    for html in (f"<pre>{many}</pre>", f"<script>var s = '{many}';</script>",
                 f"<style>/* {many} */</style>",
                 f'<svg viewBox="0 0 1 1"><text>{many}</text></svg>',
                 f'<span class="arithmatex">\\({many}\\)</span>', f'<p title="{many}">x</p>',
                 "<p>" + "，。、！？（）《》" * 1000 + "</p>"):
        assert readtime(html) == 1, html[:40]
    # the skipped blocks are skipped on their own: text after them is still read
    assert readtime(f"<pre>{many}</pre><p>{many}</p>") == 10
    assert readtime(f"<pre>a</pre><p>{many}</p><pre>b</pre>") == 10  # each block ends at its tag
    math = '<span class="arithmatex">{}</span>'
    assert readtime(math.format("a") + many + math.format("b")) == 10
    assert readtime(f'<PRE class="x">{many}</PRE>') == 1  # case-insensitive, with attributes


def test_words_and_cjk_ranges():
    # 'state-space' and "don't" are one word each: 110 * 2 = 220 words
    assert readtime("<p>" + " state-space model" * 110 + "</p>") == 1
    assert readtime("<p>" + " don't stop" * 110 + "</p>") == 1
    assert readtime("<p>" + " state space model" * 110 + "</p>") == 2  # 330 words
    # CJK Extension A and compatibility ideographs are characters too
    assert readtime("<p>" + "\u3400\uf900" * 200 + "</p>", cjk_per_minute=399) == 2
    # Latin words glued to Chinese text are still words, one each: 用 和 实现 (4) + 2 words
    assert readtime("<p>用PyTorch和NumPy实现</p>", cjk_per_minute=1, words_per_minute=1) == 6
