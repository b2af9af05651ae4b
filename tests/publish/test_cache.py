"""Execution-cache records on disk: round trip, and malformed files as counted misses."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from blogcode.publish.cache import ExecCache, Record, record_from_json

KEY = "ab" + "0" * 62
GOOD = Record(
    html="<p>1</p>", modules={"blogcode.x": "h1"}, seconds=0.25,
    notices=[("timing", "slow machine")], files={},
)


def _write(folder: Path, content: bytes | str, key: str = KEY) -> str:
    path = folder / key[:2] / f"{key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return f"{key[:2]}/{key}.json"


def _good_json(**change: object) -> dict:
    return {**json.loads(json.dumps(asdict(GOOD))), **change}


def test_good_record_round_trips(tmp_path):
    ExecCache(tmp_path).put(KEY, GOOD)
    fresh = ExecCache(tmp_path)  # no in-memory layer: read from the file
    assert fresh.get(KEY, {"blogcode.x": "h1"}) == GOOD
    assert fresh.malformed == []


def test_missing_record_is_a_plain_miss(tmp_path):
    cache = ExecCache(tmp_path)
    assert cache.get(KEY, {}) is None and cache.malformed == []


def test_older_record_without_optional_keys(tmp_path):
    _write(tmp_path, json.dumps({"html": "x", "modules": {}, "seconds": 1}))
    rec = ExecCache(tmp_path).get(KEY, {})
    assert rec == Record("x", {}, 1.0, [], {})


MALFORMED = {
    "list": json.dumps([1, 2]),
    "string": json.dumps("html"),
    "missing key": json.dumps({"html": "x", "seconds": 1.0}),
    "html=1": json.dumps(_good_json(html=1)),
    "seconds a string": json.dumps(_good_json(seconds="1")),
    "seconds a bool": json.dumps(_good_json(seconds=True)),
    "seconds negative": json.dumps(_good_json(seconds=-1)),
    "modules a list": json.dumps(_good_json(modules=["blogcode.x"])),
    "modules values not str": json.dumps(_good_json(modules={"blogcode.x": 3})),
    "files values not str": json.dumps(_good_json(files={"data.csv": None})),
    "notices not pairs": json.dumps(_good_json(notices=[["timing"]])),
    "notices not strings": json.dumps(_good_json(notices=[["timing", 1]])),
    "notices a dict": json.dumps(_good_json(notices={"timing": "x"})),
    "extra key": json.dumps(_good_json(stdout="1")),
    "invalid json": '{"html": "x",',
    "empty file": "",
    "undecodable bytes": b'{"html": "\xff\xfe"}',
    "deeply nested": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_record_is_a_counted_miss(tmp_path, content):
    name = _write(tmp_path, content)
    cache = ExecCache(tmp_path)
    assert cache.get(KEY, {"blogcode.x": "h1"}) is None
    assert cache.malformed == [name]
    assert cache.get(KEY, {"blogcode.x": "h1"}) is None
    assert cache.malformed == [name]  # listed once


def test_malformed_in_order_found_and_reset(tmp_path):
    other = "cd" + "1" * 62
    second = _write(tmp_path, "[]", other)
    first = _write(tmp_path, "{")
    cache = ExecCache(tmp_path)
    cache.get(KEY, {})
    cache.get(other, {})
    cache.get(KEY, {})
    assert cache.malformed == [first, second]
    cache.reset_stats()
    assert cache.malformed == []


def test_put_overwrites_a_malformed_record(tmp_path):
    _write(tmp_path, json.dumps(_good_json(html=1)))
    cache = ExecCache(tmp_path)
    assert cache.get(KEY, {"blogcode.x": "h1"}) is None
    cache.put(KEY, GOOD)
    assert cache.get(KEY, {"blogcode.x": "h1"}) == GOOD
    assert ExecCache(tmp_path).get(KEY, {"blogcode.x": "h1"}) == GOOD


@pytest.mark.parametrize(
    "data, words",
    [
        ([], "must be a JSON object, got list"),
        ({"html": "x"}, "missing key(s) ['modules', 'seconds']"),
        (_good_json(extra=1), "unknown key(s) ['extra']"),
        (_good_json(html=1), "'html' must be a string, got 1"),
        (_good_json(modules={"m": 1}), "'modules' must map strings to strings"),
        (_good_json(notices=[["a", "b", "c"]]), "'notices' must be a list of [kind, message]"),
        (_good_json(seconds=float("nan")), "'seconds' must be a number >= 0"),
    ],
)
def test_record_from_json_names_the_problem(data, words):
    with pytest.raises(ValueError) as e:
        record_from_json(data)
    assert words in str(e.value)


def test_record_from_json_returns_tuples():
    rec = record_from_json(_good_json())
    assert rec == GOOD and rec.notices == [("timing", "slow machine")]
