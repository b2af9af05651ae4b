"""Accessibility: axe-core (from the repo's npm dependencies) on a sample of pages."""

from __future__ import annotations

import json

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: run `nox -s browser`"
)

from .sitepages import ARTIFACTS, ROOT, SITE_DIR, STATS, axe_sample  # noqa: E402

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FAIL_ON = ("serious", "critical")

RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 200),
                              summary: (n.failureSummary || '').slice(0, 300)})),
  }));
}"""

SAMPLE = axe_sample() if (SITE_DIR / "index.html").exists() else []


@pytest.mark.parametrize("url", SAMPLE or ["(no site)"])
def test_axe_no_serious_violations(reader, url):
    if not AXE.exists():
        pytest.fail(f"{AXE} missing: run `npm ci` (axe-core is in package.json)", pytrace=False)
    page = reader.goto(url)
    page.add_script_tag(path=str(AXE))  # injected inline: no request leaves 127.0.0.1
    violations = page.evaluate(RUN_AXE)
    STATS.axe[url] = violations
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # a fresh clone has no artifacts/ yet
    (ARTIFACTS / "axe.json").write_text(
        json.dumps(STATS.axe, indent=1, ensure_ascii=False), "utf-8"
    )
    bad = [v for v in violations if v["impact"] in FAIL_ON]
    lines = []
    for v in bad:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for n in v["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, n['target']))}: {n['html'][:140]}")
            lines.append(f"      {n['summary'][:240]}")
    assert not bad, f"{url}: {len(bad)} serious/critical axe violations:\n" + "\n".join(lines)
