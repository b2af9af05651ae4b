"""Environment switches of the execution cache, and the process-independent repr of keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from blogcode.publish.cache import CacheSettings, stable_repr


def test_defaults_read_write_and_execute(tmp_path):
    s = CacheSettings.from_env(".cache/x", tmp_path, {})
    assert (s.mode, s.read, s.write, s.execute) == ("on", True, True, True)
    assert s.folder == tmp_path / ".cache/x"


@pytest.mark.parametrize(
    "env, read, write, execute",
    [
        ({"BLOGCODE_CACHE": "refresh"}, False, True, True),
        ({"BLOGCODE_CACHE": "OFF"}, False, False, True),
        ({"BLOGCODE_EXECUTE": "0"}, True, True, False),
        ({"BLOGCODE_EXECUTE": "no"}, True, True, False),
        ({"BLOGCODE_EXECUTE": "1"}, True, True, True),
    ],
)
def test_switches(tmp_path, env, read, write, execute):
    s = CacheSettings.from_env("c", tmp_path, env)
    assert (s.read, s.write, s.execute) == (read, write, execute)


def test_cache_dir_override(tmp_path):
    s = CacheSettings.from_env("c", tmp_path, {"BLOGCODE_CACHE_DIR": "/abs/where"})
    assert s.folder == Path("/abs/where")
    relative = CacheSettings.from_env("c", tmp_path, {"BLOGCODE_CACHE_DIR": "rel"})
    assert relative.folder == tmp_path / "rel"


def test_bad_mode_names_the_value(tmp_path):
    with pytest.raises(ValueError, match="not 'sometimes'"):
        CacheSettings.from_env("c", tmp_path, {"BLOGCODE_CACHE": "sometimes"})


def test_stable_repr_has_no_addresses_or_order():
    class Thing:
        pass

    assert stable_repr({"b": 1, "a": [2, (3,)]}) == stable_repr({"a": [2, (3,)], "b": 1})
    assert stable_repr(stable_repr) == "<blogcode.publish.cache.stable_repr>"
    assert "0x" not in stable_repr([Thing(), Thing])
