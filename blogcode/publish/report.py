"""The execution report written after every build."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .fence import BlockEvent


def build_report(
    events: list[BlockEvent], seconds_total: float, *, execution: dict | None = None,
    malformed: list[str] | None = None,
) -> dict:
    """The report of one build: counts, per-page events, the slowest blocks, notices.

    ``execution`` describes the worker pool's run (workers, sessions, wall and
    busy seconds); ``malformed`` lists cache entries that could not be read and
    were treated as misses.
    """
    counts = Counter(e.status for e in events)
    pages: dict[str, list[dict]] = {}
    for e in events:
        pages.setdefault(e.page, []).append(
            {
                "line": e.line,
                "session": e.session,
                "status": e.status,
                "seconds": round(e.seconds, 4),
                "replayed": e.replayed,
                **({"error": e.error} if e.error else {}),
                **({"notices": [{"kind": k, "message": m} for k, m in e.notices]}
                   if e.notices else {}),
            }
        )
    slowest = sorted(events, key=lambda e: e.seconds, reverse=True)[:10]
    return {
        "blocks": len(events),
        "counts": dict(sorted(counts.items())),
        "executed_seconds": round(sum(e.seconds for e in events if e.status == "executed"), 3),
        "build_seconds": round(seconds_total, 3),
        "execution": execution or {},
        "cache_malformed": list(malformed or []),
        "slowest": [
            {"page": e.page, "line": e.line, "status": e.status, "seconds": round(e.seconds, 4)}
            for e in slowest
        ],
        "notices": [
            {"page": e.page, "line": e.line, "kind": k, "message": m}
            for e in events for k, m in e.notices
        ],
        "pages": pages,
    }


def write_report(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def summary_lines(report: dict) -> list[str]:
    c = report["counts"]
    lines = [
        "Execution report: {} blocks — {} executed, {} cached, {} failed{} "
        "({:.2f} s executing)".format(
            report["blocks"], c.get("executed", 0), c.get("cached", 0), c.get("failed", 0),
            f", {c['disabled']} not executed (execution disabled)" if c.get("disabled") else "",
            report["executed_seconds"],
        )
    ]
    ex = report.get("execution") or {}
    if ex.get("sessions"):
        lines.append(
            "  {} session(s) on {} worker(s): {:.2f} s wall, {:.2f} s busy".format(
                ex["sessions"], ex["workers"], ex["wall_seconds"], ex["busy_seconds"]
            )
        )
    bad = report.get("cache_malformed") or []
    if bad:
        lines.append(
            f"  {len(bad)} malformed cache entr{'y' if len(bad) == 1 else 'ies'} ignored "
            f"(re-executed and rewritten): {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}"
        )
    slow = [s for s in report["slowest"] if s["seconds"] > 0]
    if slow:
        lines.append("  slowest blocks:")
        lines += [
            f"    {s['seconds']:8.3f} s  {s['status']:<8} {s['page']}:{s['line']}" for s in slow
        ]
    for n in report["notices"]:
        lines.append(f"  notice [{n['kind']}] {n['page']}:{n['line']}: {n['message']}")
    return lines
