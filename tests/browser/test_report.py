"""Page weight of a typical post, and screenshots for a human to look at (artifacts/)."""

from __future__ import annotations

import gzip
import json
from urllib.parse import unquote, urlsplit

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: run `nox -s browser`"
)

from .probe import MOBILE_WIDTH, Reader, wait_for_math  # noqa: E402
from .sitepages import STATS, human, typical_post  # noqa: E402

GROUPS = {
    "Document": "html",
    "Script": "js",
    "Stylesheet": "css",
    "Font": "fonts",
    "XHR": "data",
    "Fetch": "data",
    "Image": "images",
}


def _gzip_size(site_dir, url: str, fallback: int) -> int:
    path = unquote(urlsplit(url).path).lstrip("/")
    f = site_dir / path
    if f.is_dir() or not path:
        f = f / "index.html"
    return len(gzip.compress(f.read_bytes(), 6, mtime=0)) if f.is_file() else fallback


def test_page_weight(browser, server, site_dir, artifacts):
    """HTML + JS + CSS + fonts (+ data) transferred for one post, from Chromium's network events."""
    url = typical_post(site_dir)
    reader = Reader(browser, server.base)
    try:
        cdp = reader.context.new_cdp_session(reader.page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        seen: dict[str, dict] = {}
        cdp.on("Network.responseReceived",
               lambda e: seen.setdefault(e["requestId"], {}).update(
                   url=e["response"]["url"], type=e["type"], status=e["response"]["status"]))
        cdp.on("Network.loadingFinished",
               lambda e: seen.setdefault(e["requestId"], {}).update(bytes=e["encodedDataLength"]))
        page = reader.goto(url)
        page.wait_for_load_state("networkidle")
        wait_for_math(page)
    finally:
        reader.close()
    # data: URLs (icons inlined in Material's CSS) are not transfers.
    files = [r for r in seen.values() if "bytes" in r and r.get("url", "data:").startswith("http")]
    by_type: dict[str, dict] = {}
    for r in files:
        row = by_type.setdefault(
            GROUPS.get(r["type"], "other"), {"count": 0, "bytes": 0, "gzip": 0, "files": []}
        )
        row["count"] += 1
        row["bytes"] += r["bytes"]
        row["gzip"] += _gzip_size(site_dir, r["url"], r["bytes"])
        row["files"].append({"path": urlsplit(r["url"]).path, "bytes": r["bytes"]})
    order = ["html", "js", "css", "fonts", "data", "images", "other"]
    by_type = {k: by_type[k] for k in order if k in by_type}
    STATS.weight = {
        "url": url,
        "count": len(files),
        "bytes": sum(r["bytes"] for r in files),
        "gzip": sum(row["gzip"] for row in by_type.values()),
        "by_type": by_type,
    }
    (artifacts / "page-weight.json").write_text(
        json.dumps(STATS.weight, indent=2, ensure_ascii=False), "utf-8"
    )
    assert by_type.get("html", {}).get("count") == 1, by_type
    assert all(r["status"] < 400 for r in files), [r for r in files if r["status"] >= 400]
    assert STATS.weight["bytes"] > 0
    print(f"{url}: {len(files)} files, {human(STATS.weight['bytes'])}")


SHOTS = [
    # name, path ("post" = the typical post), context options, scroll to
    ("home", "/", {"color_scheme": "light"}, None),
    ("post-light", "post", {"color_scheme": "light"}, None),
    ("post-dark", "post", {"color_scheme": "dark"}, None),
    ("post-light-figure", "post", {"color_scheme": "light"}, "figure.bc-figure, mjx-labels"),
    ("post-dark-figure", "post", {"color_scheme": "dark"}, "figure.bc-figure, mjx-labels"),
    ("mobile-home", "/", {"color_scheme": "light",
                          "viewport": {"width": MOBILE_WIDTH, "height": 812},
                          "device_scale_factor": 2, "is_mobile": True, "has_touch": True}, None),
    ("mobile-post", "post", {"color_scheme": "light",
                             "viewport": {"width": MOBILE_WIDTH, "height": 812},
                             "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
     "mjx-labels"),
]


@pytest.mark.parametrize("name,path,options,scroll_to", SHOTS, ids=[s[0] for s in SHOTS])
def test_screenshot(browser, server, site_dir, artifacts, name, path, options, scroll_to):
    target = typical_post(site_dir) if path == "post" else path
    reader = Reader(browser, server.base, **options)
    try:
        page = reader.goto(target)
        scheme = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
        assert scheme == ("slate" if options["color_scheme"] == "dark" else "default")
        if scroll_to and page.locator(scroll_to).count():
            page.locator(scroll_to).first.evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(300)
        out = artifacts / "screenshots" / f"{name}.png"
        page.screenshot(path=str(out))
    finally:
        reader.close()
    assert out.stat().st_size > 10_000
    STATS.screenshots.append(str(out.relative_to(artifacts.parent)))
    assert not reader.errors, reader.errors
