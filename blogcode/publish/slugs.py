"""The blog's categories and their ASCII URL slugs (no Chinese in URLs).

:data:`CATEGORY_SLUGS` is the one list of categories: mkdocs.yml does not repeat
it (no ``categories_allowed``).  Front-matter validation rejects a post with any
other category, naming the file and the key, and :func:`category_slug` (Material's
``categories_slugify``) raises for one, so an unknown category always fails the build.
"""

from __future__ import annotations

#: Category name (as written in front matter) -> URL slug.
CATEGORY_SLUGS: dict[str, str] = {
    "状态空间模型": "ssm",
    "注意力与位置编码": "attention",
    "生成模型": "generative",
    "数学": "math",
    "算法": "algorithms",
    "几何与旋转": "geometry",
    "工程": "engineering",
    "Python": "python",
    "随笔": "essays",
}


def category_slug(text: str, separator: str = "-") -> str:
    """Slugify callable for Material's blog plugin (``categories_slugify``)."""
    try:
        return CATEGORY_SLUGS[text]
    except KeyError:
        raise ValueError(
            f"category {text!r} has no URL slug; known categories: {', '.join(CATEGORY_SLUGS)}"
        ) from None
