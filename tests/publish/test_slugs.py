"""blogcode.publish.slugs: every category has a unique ASCII URL slug; others are rejected."""

import re

import pytest

from blogcode.publish.slugs import CATEGORY_SLUGS, category_slug


def test_category_slugs_ascii():
    assert category_slug("状态空间模型") == "ssm"
    with pytest.raises(ValueError, match="no URL slug"):
        category_slug("杂谈")


@pytest.mark.parametrize("name", list(CATEGORY_SLUGS))
def test_every_category_has_a_lowercase_ascii_slug(name):
    slug = category_slug(name)
    assert slug == CATEGORY_SLUGS[name]
    assert re.fullmatch(r"[a-z]+", slug), slug
    assert category_slug(name, "_") == slug  # Material passes a separator; it changes nothing


def test_slugs_are_unique():
    assert len(CATEGORY_SLUGS) >= 1
    slugs = [category_slug(name) for name in CATEGORY_SLUGS]
    assert len(set(slugs)) == len(slugs), slugs


@pytest.mark.parametrize("text", ["杂谈", "", "ssm", "状态空间模型 ", "python"])
def test_unknown_categories_raise_naming_the_known_ones(text):
    with pytest.raises(ValueError, match="no URL slug") as exc:
        category_slug(text)
    assert repr(text) in str(exc.value)
    assert all(name in str(exc.value) for name in CATEGORY_SLUGS)
