import datetime as dt

import pytest

from blogcode.publish.frontmatter import FrontMatterError, series_neighbours, validate

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
