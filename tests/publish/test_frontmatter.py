import datetime as dt

import pytest

from blogcode.publish.frontmatter import (
    FrontMatterError,
    _date,
    load,
    parse,
    series_neighbours,
    split,
    validate,
)

GOOD = {
    "title": "标题",
    "date": dt.date(2024, 5, 24),
    "slug": "ssm-1-linear-systems-hippo",
    "categories": ["状态空间模型"],
    "source": {
        "title": "原文", "author": "苏剑林", "blog": "科学空间",
        "url": "https://kexue.fm/archives/10114",
    },
    "papers": [
        {"title": "HiPPO", "arxiv": "2008.07669"},
        {"title": "LMU", "venue": "NeurIPS 2019"},
    ],
    "series": {"name": "重温SSM", "order": 1},
    "tags": ["HiPPO"],
}


def test_good_meta_normalised():
    m = validate(dict(GOOD), "p.md")
    assert m.slug == GOOD["slug"] and m.series.order == 1
    assert m.papers[0].link == "https://arxiv.org/abs/2008.07669" and m.papers[1].link is None
    assert validate({**GOOD, "date": "2024-05-24"}, "p.md").date == dt.date(2024, 5, 24)


@pytest.mark.parametrize(
    "change, key",
    [
        ({"slug": "SSM-1"}, "slug"),
        ({"slug": "ssm_1"}, "slug"),
        ({"slug": "状态空间"}, "slug"),
        ({"date": "24 May 2024"}, "date"),
        ({"categories": []}, "categories"),
        ({"categories": ["杂谈"]}, "categories[0]"),
        ({"source": {"title": "x", "author": "y"}}, "source.blog"),
        ({"source": {"title": "x", "author": "y", "blog": "z", "url": "kexue.fm"}}, "source.url"),
        ({"source": {"title": "x", "author": "y", "blog": "z", "link": "u"}}, "source.link"),
        ({"papers": [{"title": "x"}]}, "papers[0]"),
        ({"papers": [{"title": "x", "arxiv": "2008.7"}]}, "papers[0].arxiv"),
        ({"series": {"name": "s", "order": 0}}, "series.order"),
        ({"series": {"name": "s"}}, "series.order"),
        ({"tags": "HiPPO"}, "tags"),
        ({"sorce": {}}, "sorce"),
    ],
)
def test_bad_meta_names_key(change, key):
    with pytest.raises(FrontMatterError) as e:
        validate({**GOOD, **change}, "docs/posts/p.md")
    assert e.value.key == key
    assert "docs/posts/p.md" in str(e.value) and f"'{key}'" in str(e.value)


@pytest.mark.parametrize("key", ["title", "date", "slug", "categories", "source"])
def test_required(key):
    meta = dict(GOOD)
    del meta[key]
    with pytest.raises(FrontMatterError, match=f"'{key}': is required"):
        validate(meta, "p.md")


def test_series_neighbours_and_duplicate_order():
    a = validate({**GOOD, "slug": "a", "series": {"name": "S", "order": 2}}, "a.md")
    b = validate({**GOOD, "slug": "b", "series": {"name": "S", "order": 1}}, "b.md")
    c = validate({**GOOD, "slug": "c", "series": {"name": "S", "order": 3}}, "c.md")
    nb = series_neighbours([a, b, c])
    assert nb["b"][0] is None and nb["b"][1].slug == "a"
    assert nb["a"][0].slug == "b" and nb["a"][1].slug == "c"
    assert [p.slug for p in nb["c"][2]] == ["b", "a", "c"]
    d = validate({**GOOD, "slug": "d", "series": {"name": "S", "order": 3}}, "d.md")
    with pytest.raises(FrontMatterError, match="series.order"):
        series_neighbours([a, c, d])


# -- the YAML block of a post's text ------------------------------------------------------

PATH = "docs/posts/p.md"
BODY_KEYS = (
    "slug: s\ncategories: [状态空间模型]\n"
    "source: {title: a, author: b, blog: c}\n"
)


def _post(front: str, body: str = "正文\n") -> str:
    return f"---\n{front}---\n{body}"


def test_title_containing_dashes_is_not_a_delimiter():
    raw = _post('title: "a --- b"\ndate: 2024-05-24\n' + BODY_KEYS)
    assert parse(raw, PATH).title == "a --- b"


def test_dashes_inside_a_multiline_quoted_value():
    raw = _post('title: "first line\n  --- still the title"\ndate: 2024-05-24\n' + BODY_KEYS)
    assert load(raw, PATH)["title"] == "first line --- still the title"


def test_block_closed_by_dots_and_trailing_blanks():
    assert load("---  \ntitle: x\n... \t\nbody\n", PATH) == {"title": "x"}
    assert split("--- \ntitle: x\n---\t\nbody\n", PATH) == ("title: x\n", "body\n")


def test_horizontal_rules_in_the_body_stay_in_the_body():
    body = "intro\n\n---\n\nmore: text\n\n---\nend\n"
    block, rest = split(_post("title: x\n", body), PATH)
    assert block == "title: x\n" and rest == body


def test_not_closed_names_the_file():
    with pytest.raises(FrontMatterError) as e:
        load("---\ntitle: x\nslug: y\n\nbody without an end ---\n", PATH)
    msg = str(e.value)
    assert msg.startswith(PATH + ":") and "not closed by a '---' line" in msg
    assert "\n" not in msg


def test_closing_line_without_line_break():
    # MkDocs needs a line break after the closing line too (mkdocs/utils/meta.py).
    with pytest.raises(FrontMatterError, match="closing '---' line must end with a line break"):
        load("---\ntitle: x\n---", PATH)


@pytest.mark.parametrize("raw", ["title: x\n", "----\ntitle: x\n---\n", "---title: x\n---\n"])
def test_missing_front_matter(raw):
    with pytest.raises(FrontMatterError, match=f"^{PATH}: front matter missing"):
        load(raw, PATH)


def test_front_matter_must_be_a_mapping():
    with pytest.raises(FrontMatterError, match=f"^{PATH}: .*must be a YAML mapping.*list"):
        load("---\n- a\n- b\n---\n", PATH)


@pytest.mark.parametrize(
    "value, reason",
    [
        ("2024-02-30", "day is out of range for month"),
        ("2023-02-29", "day is out of range for month"),
        ("2024-13-01", "month must be in 1..12"),
        ('"2024-02-30"', "day is out of range for month"),
        ("2024-02-30 10:00:00", "day is out of range for month"),
    ],
)
def test_invalid_calendar_date(value, reason):
    with pytest.raises(FrontMatterError) as e:
        parse(_post(f"title: t\ndate: {value}\n" + BODY_KEYS), PATH)
    assert e.value.key == "date"
    shown = value.strip('"')
    assert str(e.value) == (
        f"{PATH}: front matter key 'date': {shown} is not a calendar date ({reason}); "
        "write YYYY-MM-DD"
    )


def test_dates_that_are_fine():
    for value in ("2024-02-29", "2024-2-9", '"2024-02-29"', "2024-02-29T10:00:00Z"):
        meta = parse(_post(f"title: t\ndate: {value}\n" + BODY_KEYS), PATH)
        assert meta.date.year == 2024 and meta.date.month == 2


def test_date_validator_takes_the_key():
    with pytest.raises(FrontMatterError) as e:
        _date(PATH, "source.date", "2024-04-31")
    assert e.value.key == "source.date"
    assert "'source.date': 2024-04-31 is not a calendar date" in str(e.value)
    with pytest.raises(FrontMatterError, match="'source.date': must be a date written YYYY-MM-DD"):
        _date(PATH, "source.date", "April 2024")
    assert _date(PATH, "source.date", dt.datetime(2024, 4, 30, 9)) == dt.date(2024, 4, 30)


@pytest.mark.parametrize(
    "front, line, key, problem",
    [
        # file line 1 is the opening '---'
        ("title: a: b\nslug: s\n", 2, "title", "mapping values are not allowed here"),
        ("title: t\nslug: s: t\n", 3, "slug", "mapping values are not allowed here"),
        ('title: t\ndate: 2024-05-24\nslug: "open\ncategories: [a]\n', 4, "slug",
         "while scanning a quoted scalar: found unexpected end of stream"),
        ("title: t\ncategories: [a, b\nslug: s\n", 3, "categories",
         "while parsing a flow sequence"),
        ("title: t\nsource:\n  title: a\n blog: b\n", 5, "source",
         "while parsing a block mapping"),
    ],
)
def test_yaml_syntax_error_names_file_line_and_key(front, line, key, problem):
    with pytest.raises(FrontMatterError) as e:
        load(_post(front), PATH)
    msg = str(e.value)
    assert e.value.line == line and e.value.key == key
    assert msg.startswith(f"{PATH}:{line}: front matter is not valid YAML (key '{key}'): ")
    assert problem in msg and "\n" not in msg


def test_yaml_error_before_any_key():
    with pytest.raises(FrontMatterError) as e:
        load(_post("  a: b: c\n"), PATH)
    assert e.value.key is None and e.value.line == 2
    assert str(e.value).startswith(f"{PATH}:2: front matter is not valid YAML: mapping values")


def test_constructor_error_is_a_front_matter_error():
    with pytest.raises(FrontMatterError, match=f"^{PATH}: front matter is not valid YAML: "):
        load(_post("title: !!int abc\n"), PATH)


@pytest.mark.parametrize(
    "raw",
    [
        '---\ntitle: "a --- b"\n---\nbody\n',
        "---\ntitle: x\n...\nbody\n\n---\nmore\n",
        "--- \t\ntitle: x\n---  \n\nbody\n",
        '---\ntitle: "one\n---\n"\n---\nbody\n',  # a '---' line closes even inside quotes
        "---\ntitle: x\n----\nslug: y\n---\nbody\n",
    ],
)
def test_split_agrees_with_mkdocs(raw):
    from mkdocs.utils.meta import YAML_RE

    m = YAML_RE.match(raw)
    assert m is not None
    block, body = split(raw, PATH)
    assert block == m.group(1) and body == raw[m.end() :]


def test_source_date_and_unknown_title():
    """`date` is this blog's; `source.date` the original's when known; an unknown title is
    left out rather than invented."""
    import copy

    meta = copy.deepcopy(GOOD)
    meta["source"] = {"author": "作者", "blog": "博客", "date": dt.date(2024, 6, 5)}
    post = validate(meta, "docs/posts/p.md")
    assert post.source.title is None and post.source.date == dt.date(2024, 6, 5)
    assert post.date != post.source.date
    meta["source"]["date"] = "2024-02-30"
    with pytest.raises(FrontMatterError, match=r"key 'source.date': 2024-02-30 is not a calendar"):
        validate(meta, "docs/posts/p.md")


def test_source_text_says_how_much_was_read():
    import copy

    meta = copy.deepcopy(GOOD)
    assert validate(meta, "p.md").source.text == "full"
    for text in ("full", "partial", "excerpt"):
        meta["source"]["text"] = text
        assert validate(meta, "p.md").source.text == text
    meta["source"]["text"] = "some"
    with pytest.raises(FrontMatterError, match=r"key 'source.text': must be one of full, partial, "
                                                r"excerpt .*got 'some'"):
        validate(meta, "docs/posts/p.md")
