"""blogcode.publish.results: hashing, 'not measured', measured tables and the stale notice."""

import json

import pytest

from blogcode.publish import notices
from blogcode.publish.results import (
    DEFAULT_RESULTS,
    KERNEL_SOURCES,
    kernel_source_hash,
    load_results,
    render_kernels,
)


def fake_root(tmp_path, text="x = 1\n"):
    for rel in KERNEL_SOURCES:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_hash_tracks_every_source(tmp_path):
    root = fake_root(tmp_path)
    h0 = kernel_source_hash(root)
    (root / KERNEL_SOURCES[-1]).write_text("x = 2\n")
    assert kernel_source_hash(root) != h0
    (root / KERNEL_SOURCES[0]).unlink()
    assert kernel_source_hash(root) not in (h0,)


def test_committed_file_is_honest():
    data = load_results(DEFAULT_RESULTS)
    if data["status"] == "not measured":
        # no numbers at all in a 'not measured' file
        assert set(data) <= {"status", "kernel_source_hash", "note"}


def test_not_measured_renders_plainly(tmp_path):
    root = fake_root(tmp_path)
    f = tmp_path / "k.json"
    f.write_text(json.dumps({"status": "not measured", "kernel_source_hash": kernel_source_hash(root)}))
    notices.drain()
    md = render_kernels(f, root=root)
    assert "尚未测量" in md and "|" not in md and "stale" not in md
    assert notices.drain() == []


def measured(hash_):
    return {
        "status": "measured", "kernel_source_hash": hash_, "date": "2030-01-01 00:00 UTC",
        "device": "Some GPU", "torch": "9", "triton": "9", "cuda": "99",
        "copy_bandwidth_gbps": 1000.0,
        "ops": {"wkv4": {"shape": {"batch": 1}, "target_ms": 0.5, "baselines": ["slow"],
                         "variants": [{"name": "fast", "ms": 0.25, "bandwidth_fraction": 0.5,
                                       "speedup": {"slow": 8.0}},
                                      {"name": "slow", "ms": 2.0, "bandwidth_fraction": 0.0625,
                                       "speedup": {"slow": 1.0}}]}},
    }


def test_measured_table_and_stale_notice(tmp_path):
    root = fake_root(tmp_path)
    f = tmp_path / "k.json"
    f.write_text(json.dumps(measured(kernel_source_hash(root))))
    notices.drain()
    md = render_kernels(f, root=root)
    assert "| fast | 0.25 | 0.5 | 8 |" in md and "Some GPU" in md and "过期" not in md
    assert notices.drain() == []
    (root / KERNEL_SOURCES[0]).write_text("changed\n")
    md = render_kernels(f, root=root)
    assert "过期" in md and "| fast |" in md
    got = notices.drain()
    assert len(got) == 1 and got[0].kind == "stale"


def test_bad_files_raise(tmp_path):
    f = tmp_path / "k.json"
    f.write_text(json.dumps({"status": "guessed", "kernel_source_hash": "x"}))
    with pytest.raises(ValueError, match="status"):
        load_results(f)
    f.write_text(json.dumps({"status": "measured", "kernel_source_hash": "x"}))
    with pytest.raises(ValueError, match="needs"):
        load_results(f)
    with pytest.raises(FileNotFoundError):
        load_results(tmp_path / "missing.json")
