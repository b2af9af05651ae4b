"""blogcode.publish.results: hashing, 'not measured', measured tables and the stale notice."""

import copy
import json
import math
import re

import pytest

from blogcode.publish import notices
from blogcode.publish.results import (
    DEFAULT_RESULTS,
    KERNEL_SOURCES,
    REPO_ROOT,
    kernel_source_hash,
    load_results,
    render_kernels,
)

HASH_RE = re.compile(r"^[0-9a-f]{16}$")
NOT_MEASURED_KEYS = {"status", "kernel_source_hash", "note"}
MAX_BANDWIDTH_FRACTION = 1.2  # a little above 1 allows for noise in the copy-bandwidth reference


def fake_root(tmp_path, text="x = 1\n"):
    for rel in KERNEL_SOURCES:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


# --- the kernel-source hash -------------------------------------------------------------------


def test_kernel_sources_exist_in_the_repository():
    # a renamed or moved kernel file would otherwise be hashed as '<missing>' forever
    missing = [rel for rel in KERNEL_SOURCES if not (REPO_ROOT / rel).is_file()]
    assert not missing, missing
    assert len(set(KERNEL_SOURCES)) == len(KERNEL_SOURCES)


def test_hash_is_stable_when_nothing_changes(tmp_path):
    root = fake_root(tmp_path / "a")
    h0 = kernel_source_hash(root)
    assert HASH_RE.match(h0), h0
    assert kernel_source_hash(root) == h0
    assert kernel_source_hash(str(root)) == h0
    # the hash depends on relative paths and contents only, not on where the checkout lives
    assert kernel_source_hash(fake_root(tmp_path / "b")) == h0


def test_hash_tracks_every_source(tmp_path):
    root = fake_root(tmp_path)
    prev = kernel_source_hash(root)
    seen = {prev}
    # editing any one source changes the hash (each step against the hash just before it)
    for i, rel in enumerate(KERNEL_SOURCES):
        (root / rel).write_text(f"x = {i + 2}\n")
        h = kernel_source_hash(root)
        assert h != prev, f"editing {rel} did not change the hash"
        assert h not in seen, f"editing {rel} gave an earlier hash"
        seen.add(h)
        prev = h
    h_all_edited = prev
    # emptying a source changes the hash, and deleting it changes it again (missing != empty);
    # deleting the last source changes it too
    steps = [("empty", KERNEL_SOURCES[0]), ("delete", KERNEL_SOURCES[0]),
             ("delete", KERNEL_SOURCES[-1])]
    for what, rel in steps:
        if what == "empty":
            (root / rel).write_text("")
        else:
            (root / rel).unlink()
        h = kernel_source_hash(root)
        assert h != prev, f"{what} {rel} did not change the hash"
        assert h not in seen, f"{what} {rel} gave an earlier hash"
        seen.add(h)
        prev = h
    # restoring the deleted files' last contents gives back the hash from before the deletions
    (root / KERNEL_SOURCES[0]).write_text("x = 2\n")
    (root / KERNEL_SOURCES[-1]).write_text(f"x = {len(KERNEL_SOURCES) + 1}\n")
    h = kernel_source_hash(root)
    assert h != prev
    assert h == h_all_edited


# --- the committed results file is honest -----------------------------------------------------


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _contains_number(x):
    if _is_number(x):
        return True
    if isinstance(x, dict):
        return any(_contains_number(v) for v in x.values())
    if isinstance(x, list):
        return any(_contains_number(v) for v in x)
    return False


def _nonempty_str(x):
    return isinstance(x, str) and x.strip() != ""


def _close(a, b, rel=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=0.0)


def honesty_problems(data):
    """Everything wrong with a results dict (empty list: honest).

    'not measured': no numbers at all, only status/kernel_source_hash/note.  'measured':
    provenance present; every variant timed (positive ``ms``) or explicitly skipped; bandwidth
    fractions in (0, 1.2]; speedups equal to the ms ratios.
    """
    problems = []
    status = data.get("status")
    h = data.get("kernel_source_hash")
    if not (isinstance(h, str) and HASH_RE.match(h)):
        problems.append(f"kernel_source_hash {h!r} is not 16 hex digits")
    if status == "not measured":
        extra = set(data) - NOT_MEASURED_KEYS
        if extra:
            problems.append(f"'not measured' file has extra keys {sorted(extra)}")
        if _contains_number(data):
            problems.append("'not measured' file contains a number")
        if "note" in data and not isinstance(data["note"], str):
            problems.append("note is not a string")
        return problems
    if status != "measured":
        return problems + [f"status {status!r}"]
    for key in ("device", "date", "torch", "triton", "cuda"):
        if not _nonempty_str(data.get(key)):
            problems.append(f"measured file: {key} missing or empty")
    if _nonempty_str(data.get("date")) and not re.match(r"^\d{4}-\d{2}-\d{2}\b", data["date"]):
        problems.append(f"date {data['date']!r} does not start with YYYY-MM-DD")
    bw = data.get("copy_bandwidth_gbps")
    if not (_is_number(bw) and math.isfinite(bw) and bw > 0):
        problems.append(f"copy_bandwidth_gbps {bw!r} is not a positive number")
    ops = data.get("ops")
    if not (isinstance(ops, dict) and ops):
        return problems + ["measured file has no ops"]
    for op, entry in ops.items():
        variants = entry.get("variants") if isinstance(entry, dict) else None
        if not (isinstance(variants, list) and variants):
            problems.append(f"{op}: no variants")
            continue
        names = [v.get("name") for v in variants]
        if len(set(names)) != len(names) or not all(_nonempty_str(n) for n in names):
            problems.append(f"{op}: variant names {names!r} not unique non-empty strings")
        ms_of = {}
        for v in variants:
            name, ms = v.get("name"), v.get("ms")
            if ms is None:
                if not _nonempty_str(v.get("skipped")):
                    problems.append(f"{op}/{name}: no ms and no 'skipped' reason")
                for key in ("bandwidth_fraction", "speedup"):
                    if v.get(key) is not None:
                        problems.append(f"{op}/{name}: skipped but has {key}")
                continue
            if not (_is_number(ms) and math.isfinite(ms) and ms > 0):
                problems.append(f"{op}/{name}: ms {ms!r} is not a positive number")
                continue
            ms_of[name] = ms
            frac = v.get("bandwidth_fraction")
            if not (_is_number(frac) and 0 < frac <= MAX_BANDWIDTH_FRACTION):
                problems.append(f"{op}/{name}: bandwidth_fraction {frac!r} not in (0, 1.2]")
            floor = entry.get("floor_ms")
            if _is_number(frac) and _is_number(floor) and not _close(frac, floor / ms):
                problems.append(f"{op}/{name}: bandwidth_fraction != floor_ms / ms")
        baselines = entry.get("baselines", [])
        for b in baselines:
            if b not in ms_of:
                problems.append(f"{op}: baseline {b!r} is not a timed variant")
        for v in variants:
            name = v.get("name")
            if name not in ms_of:
                continue
            speedup = v.get("speedup", {})
            if not isinstance(speedup, dict):
                problems.append(f"{op}/{name}: speedup is not a mapping")
                continue
            if set(speedup) != {b for b in baselines if b in ms_of}:
                problems.append(f"{op}/{name}: speedup keys {sorted(speedup)} != baselines")
            for b, s in speedup.items():
                if b not in ms_of:
                    problems.append(f"{op}/{name}: speedup over unknown {b!r}")
                elif not (_is_number(s) and _close(s, ms_of[b] / ms_of[name])):
                    problems.append(f"{op}/{name}: speedup[{b}]={s!r} != "
                                    f"{ms_of[b]} / {ms_of[name]}")
    return problems


def test_committed_file_is_honest():
    data = load_results(DEFAULT_RESULTS)
    assert data["status"] in ("measured", "not measured")
    assert honesty_problems(data) == []
    if data["status"] == "not measured":
        assert set(data) <= NOT_MEASURED_KEYS


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


def measured_full():
    """Shaped like benchmarks/bench_kernels.py's output: floor_ms, two baselines, a skip."""
    ms = {"triton": 0.3, "chunked": 1.7, "loop": 90.0}
    floor = 0.21

    def var(name):
        return {"name": name, "ms": ms[name], "bandwidth_fraction": floor / ms[name],
                "speedup": {b: ms[b] / ms[name] for b in ("loop", "chunked")}}

    data = measured("0123456789abcdef")
    data["ops"]["selective_scan"] = {
        "shape": {"batch": 8}, "dtype": "float32", "target_ms": 0.6, "floor_ms": floor,
        "baselines": ["loop", "chunked"],
        "variants": [var("triton"), var("chunked"), var("loop"),
                     {"name": "other", "ms": None, "skipped": "未安装（ImportError）"}],
    }
    return data


NOT_MEASURED = {"status": "not measured", "kernel_source_hash": "8275e23365b5e844",
                "note": "No GPU was available."}


@pytest.mark.parametrize("data", [NOT_MEASURED, {"status": "not measured",
                                                 "kernel_source_hash": "0" * 16},
                                  measured("0123456789abcdef"), measured_full()],
                         ids=["not-measured", "not-measured-bare", "measured", "measured-full"])
def test_honest_files_pass_the_check(tmp_path, data):
    f = tmp_path / "k.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert honesty_problems(load_results(f)) == []


def _set(path, value):
    def edit(d):
        *head, last = path
        for k in head:
            d = d[k]
        if value is KeyError:
            del d[last]
        else:
            d[last] = value
    return edit


SS = ("ops", "selective_scan")
VAR0 = (*SS, "variants", 0)
BAD = {
    # 'not measured' files that carry numbers
    "nm-number": (NOT_MEASURED, _set(("copy_bandwidth_gbps",), 1000.0), "extra keys"),
    "nm-ops": (NOT_MEASURED, _set(("ops",), {"wkv4": {"ms": 1.0}}), "contains a number"),
    "nm-note-number": (NOT_MEASURED, _set(("note",), 3), "contains a number"),
    "nm-bad-hash": (NOT_MEASURED, _set(("kernel_source_hash",), "x"), "16 hex"),
    # measured files with missing provenance or invented / inconsistent numbers
    "no-device": (None, _set(("device",), KeyError), "device missing"),
    "empty-triton": (None, _set(("triton",), ""), "triton missing"),
    "no-cuda": (None, _set(("cuda",), None), "cuda missing"),
    "no-date": (None, _set(("date",), KeyError), "date missing"),
    "bad-date": (None, _set(("date",), "yesterday"), "YYYY-MM-DD"),
    "short-hash": (None, _set(("kernel_source_hash",), "0123456789abcde"), "16 hex"),
    "upper-hash": (None, _set(("kernel_source_hash",), "0123456789ABCDEF"), "16 hex"),
    "bw-zero": (None, _set(("copy_bandwidth_gbps",), 0.0), "copy_bandwidth"),
    "no-ops": (None, _set(("ops",), {}), "no ops"),
    "no-variants": (None, _set((*SS, "variants"), []), "no variants"),
    "ms-negative": (None, _set((*VAR0, "ms"), -0.3), "not a positive number"),
    "ms-zero": (None, _set((*VAR0, "ms"), 0), "not a positive number"),
    "ms-nan": (None, _set((*VAR0, "ms"), float("nan")), "not a positive number"),
    "skip-no-reason": (None, _set((*SS, "variants", 3, "skipped"), KeyError), "no 'skipped'"),
    "skip-with-number": (None, _set((*SS, "variants", 3, "speedup"), {"loop": 2.0}),
                         "skipped but has speedup"),
    "bw-frac-high": (None, _set((*VAR0, "bandwidth_fraction"), 1.3), "not in (0, 1.2]"),
    "bw-frac-zero": (None, _set((*VAR0, "bandwidth_fraction"), 0.0), "not in (0, 1.2]"),
    "bw-frac-missing": (None, _set((*VAR0, "bandwidth_fraction"), KeyError), "not in (0, 1.2]"),
    "bw-frac-vs-floor": (None, _set((*VAR0, "bandwidth_fraction"), 0.6), "floor_ms / ms"),
    "speedup-off": (None, _set((*VAR0, "speedup", "loop"), 300.0 * (1 + 1e-6)), "speedup[loop]"),
    "speedup-inverted": (None, _set((*VAR0, "speedup", "loop"), 0.3 / 90.0), "speedup[loop]"),
    "speedup-missing": (None, _set((*VAR0, "speedup"), {"loop": 300.0}), "speedup keys"),
    "speedup-unknown": (None, _set((*VAR0, "speedup", "ghost"), 2.0), "speedup keys"),
    "baseline-untimed": (None, _set((*SS, "baselines"), ["loop", "chunked", "other"]),
                         "not a timed variant"),
    "simple-speedup-off": (None, _set(("ops", "wkv4", "variants", 0, "speedup", "slow"), 7.0),
                           "speedup[slow]"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_dishonest_files_are_rejected(name):
    base, edit, expected = BAD[name]
    data = copy.deepcopy(base if base is not None else measured_full())
    assert honesty_problems(data) == []  # the unedited dict passes...
    edit(data)
    problems = honesty_problems(data)
    assert any(expected in p for p in problems), problems  # ...and the edit is caught


# --- rendering --------------------------------------------------------------------------------


def test_not_measured_renders_plainly(tmp_path):
    root = fake_root(tmp_path)
    f = tmp_path / "k.json"
    f.write_text(json.dumps({"status": "not measured",
                             "kernel_source_hash": kernel_source_hash(root)}))
    notices.drain()
    md = render_kernels(f, root=root)
    assert "尚未测量" in md and "|" not in md and "stale" not in md
    assert notices.drain() == []


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


# --- the causal-attention entry, source_hash and stale_banner ---------------------------------


def attention_problems(entry):
    """Everything wrong with a measured ``attention`` entry: tflops == gflop / ms, the ceiling
    fraction == tflops / the matmul ceiling, speedups == ms ratios, skips have reasons."""
    problems = []
    ceiling = entry.get("matmul_ceiling", {})
    top = ceiling.get("tflops")
    if not (_is_number(top) and top > 0):
        return [f"matmul ceiling {top!r} is not a positive number"]
    n = ceiling.get("shape", [0])[0]
    if not _close(top, 2 * n**3 / (ceiling["ms"] * 1e-3) / 1e12):
        problems.append("matmul ceiling tflops != 2 n^3 / ms")
    for case in entry.get("cases", []):
        shape = case["shape"]
        flops = 4 * shape["batch"] * shape["heads"] * shape["L"] ** 2 * shape["head_dim"] / 2
        if not _close(case["gflop"] * 1e9, flops):
            problems.append(f"{shape}: gflop != 4 B H L^2 D / 2")
        ms_of = {v["name"]: v["ms"] for v in case["variants"] if v.get("ms") is not None}
        for v in case["variants"]:
            if v.get("ms") is None:
                if not _nonempty_str(v.get("skipped")):
                    problems.append(f"{shape}/{v['name']}: no ms and no reason")
                continue
            tflops = flops / (v["ms"] * 1e-3) / 1e12
            if not _close(v["tflops"], tflops):
                problems.append(f"{shape}/{v['name']}: tflops != flops / ms")
            if not _close(v["ceiling_fraction"], tflops / top):
                problems.append(f"{shape}/{v['name']}: ceiling_fraction != tflops / ceiling")
            for b, s in v.get("speedup", {}).items():
                if b not in ms_of or not _close(s, ms_of[b] / v["ms"]):
                    problems.append(f"{shape}/{v['name']}: speedup[{b}] != ms ratio")
        for b in case.get("baselines", []):
            if b not in ms_of:
                problems.append(f"{shape}: baseline {b!r} is not a timed variant")
    return problems


def attention_entry():
    """Shaped like benchmarks/bench_kernels.py's bench_attention() (numbers made up)."""
    ceiling = {"shape": [8192, 8192, 8192], "dtype": "bfloat16", "ms": 1.25,
               "tflops": 2 * 8192**3 / 1.25e-3 / 1e12}
    B, H, L, D = 8, 16, 4096, 64
    flops = 4 * B * H * L * L * D / 2
    ms = {"triton": 0.8, "SDPA flash": 0.7}

    def var(name):
        t = flops / (ms[name] * 1e-3) / 1e12
        return {"name": name, "ms": ms[name], "tflops": t,
                "ceiling_fraction": t / ceiling["tflops"],
                "speedup": {"SDPA flash": ms["SDPA flash"] / ms[name]}}

    case = {"shape": {"batch": B, "heads": H, "L": L, "head_dim": D}, "gflop": flops / 1e9,
            "baselines": ["SDPA flash"],
            "variants": [var("triton"), var("SDPA flash"),
                         {"name": "fla parallel_attn", "ms": None,
                          "skipped": "未安装（ImportError）"}]}
    return {"dtype": "bfloat16", "causal": True, "flops": "4 * batch * heads * L^2 * head_dim / 2",
            "matmul_ceiling": ceiling, "cases": [case]}


def test_attention_entry_checker_catches_a_wrong_ratio():
    entry = attention_entry()
    assert attention_problems(entry) == []
    bad = copy.deepcopy(entry)
    bad["cases"][0]["variants"][0]["speedup"]["SDPA flash"] = 1.0
    bad["cases"][0]["variants"][1]["tflops"] *= 2
    assert len(attention_problems(bad)) == 2


def test_committed_attention_entry_is_honest():
    data = load_results(DEFAULT_RESULTS)
    if data["status"] == "measured" and "attention" in data:
        assert attention_problems(data["attention"]) == []


def test_attention_entry_renders_one_table_per_shape(tmp_path):
    root = fake_root(tmp_path)
    data = measured(kernel_source_hash(root))
    data["attention"] = attention_entry()
    f = tmp_path / "k.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    md = render_kernels(f, ops=["attention"], root=root)
    tflops = data["attention"]["cases"][0]["variants"][0]["tflops"]
    assert "batch=8, heads=16, L=4096, head_dim=64" in md
    assert f"| triton | 0.8 | {tflops:.4g} |" in md
    assert "| fla parallel_attn | 未安装（ImportError） | — | — | — |" in md
    assert "| wkv4" not in md and "Some GPU" in md
    # a file measured before the attention benchmark existed says so instead of inventing one
    del data["attention"]
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert "没有 `attention` 的测量" in render_kernels(f, ops=["attention"], root=root)


def test_source_hash_matches_kernel_hash_and_tracks_files(tmp_path):
    from blogcode.publish.results import source_hash

    root = fake_root(tmp_path)
    assert source_hash(KERNEL_SOURCES, root) == kernel_source_hash(root)
    files = [KERNEL_SOURCES[0], "new/data.py"]
    h0 = source_hash(files, root)
    (root / "new").mkdir()
    (root / "new/data.py").write_text("y = 2\n")  # a file appearing changes the hash
    assert source_hash(files, root) != h0
    assert source_hash(list(reversed(files)), root) != source_hash(files, root)  # order counts
    with pytest.raises(TypeError, match="sequence"):
        source_hash("blogcode/ops.py", root)
    with pytest.raises(ValueError, match="relative"):
        source_hash([str(root / KERNEL_SOURCES[0])], root)


def test_stale_banner_is_empty_when_fresh_and_reported_when_stale():
    from blogcode.publish.results import stale_banner

    notices.drain()
    assert stale_banner("r.json", "a" * 16, "a" * 16) == ""
    assert notices.drain() == []
    md = stale_banner("r.json", "a" * 16, "b" * 16, command="nox -s bench_x")
    assert md.startswith("> **数据已过期（stale）**") and "`nox -s bench_x`" in md
    assert "a" * 16 in md and "b" * 16 in md
    got = notices.drain()
    assert len(got) == 1 and got[0].kind == "stale" and "r.json" in got[0].message
