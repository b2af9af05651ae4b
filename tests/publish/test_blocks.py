"""Fence options of executable blocks: typed, checked, and named in one-line errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blogcode.publish.blocks import (
    OPTIONS,
    SOURCE_MODES,
    BlockOptionError,
    BlockOptions,
    BlockSpec,
    block_options,
    format_size,
    parse_size,
    scan,
)

PAGE = "docs/posts/x.md"


def _spec(**options: str) -> BlockSpec:
    opts = {"exec": "on", **options}
    return BlockSpec(PAGE, 0, 12, "print(1)", tuple(sorted(opts.items())), opts.get("session"))


def _error(**options: str) -> BlockOptionError:
    with pytest.raises(BlockOptionError) as e:
        block_options(_spec(**options))
    assert "\n" not in str(e.value)
    return e.value


def test_defaults():
    assert block_options(_spec()) == BlockOptions(exec=True)
    assert BlockOptions() == BlockOptions(
        exec=False, session=None, source="", html=False, result="", timeout=None, memory=None,
        title="",
    )


def test_all_options_typed():
    got = block_options(_spec(
        session="s", source="tabbed-left", html="yes", result="text", timeout="2.5",
        memory="512M", title="标题",
    ))
    assert got == BlockOptions(
        exec=True, session="s", source="tabbed-left", html=True, result="text", timeout=2.5,
        memory=512 * 1024**2, title="标题",
    )


def test_from_a_scanned_page():
    text = '```python exec="on" session="a" timeout="30" memory="2G"\nprint(1)\n```\n'
    _, (spec,) = scan(text, PAGE, line_offset=11)
    opts = block_options(spec)
    assert (opts.session, opts.timeout, opts.memory) == ("a", 30.0, 2 * 1024**3)
    assert spec.option("timeout") == "30"  # the raw text is still there


def test_empty_value_counts_as_absent():
    assert block_options(_spec(timeout="", memory="", session="")) == BlockOptions(exec=True)


def test_known_names():
    assert "memory" in OPTIONS and "timeout" in OPTIONS and "bcblock" not in OPTIONS
    assert SOURCE_MODES == {"", "above", "below", "tabbed-left", "tabbed-right"}


def test_timeout_not_a_number():
    err = _error(timeout="ten")
    assert str(err) == (
        f'{PAGE}:12: timeout="ten" is not a number of seconds (write e.g. timeout="30")'
    )
    assert (err.where, err.option) == (f"{PAGE}:12", "timeout")


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
def test_timeout_must_be_positive(value):
    assert str(_error(timeout=value)) == (
        f'{PAGE}:12: timeout="{value}" must be a positive number of seconds '
        '(write e.g. timeout="30")'
    )


@pytest.mark.parametrize("value", ["lots", "2 gigs", "-1G", "5P", "1e6"])
def test_memory_not_a_size(value):
    err = _error(memory=value)
    assert str(err) == f'{PAGE}:12: memory="{value}" is not a size (write e.g. memory="2G")'
    assert err.option == "memory"


def test_memory_must_be_positive():
    assert str(_error(memory="0")) == (
        f'{PAGE}:12: memory="0" must be a positive size (write e.g. memory="2G")'
    )


def test_unknown_option():
    err = _error(tiemout="30")
    assert str(err) == (
        f"{PAGE}:12: unknown option(s) ['tiemout'] on an executable block; "
        f"known: {sorted(OPTIONS)}"
    )
    assert err.option == "tiemout"


def test_source_mode():
    assert str(_error(source="left")) == (
        f"{PAGE}:12: source=\"left\" is not one of "
        "['above', 'below', 'tabbed-left', 'tabbed-right']"
    )


def test_flag_values():
    assert block_options(_spec(html="off")).html is False
    assert str(_error(html="maybe")) == (
        f'{PAGE}:12: html="maybe" is not on or off (write e.g. html="on")'
    )


@pytest.mark.parametrize(
    "text, n",
    [
        ("512M", 512 * 1024**2),
        ("2G", 2 * 1024**3),
        ("1.5G", 3 * 1024**3 // 2),
        ("800MB", 800 * 1024**2),
        ("4GiB", 4 * 1024**3),
        ("1000000", 1_000_000),
        ("64k", 64 * 1024),
        ("1T", 1024**4),
        ("512 MiB", 512 * 1024**2),
        ("100B", 100),
        (" 3 gb ", 3 * 1024**3),
    ],
)
def test_parse_size(text, n):
    assert parse_size(text) == n


@pytest.mark.parametrize("text", ["", "lots", "G", "iB", "1.2.3", "-5M", "5P", "1e9", "5 M B"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


@pytest.mark.parametrize(
    "n, text",
    [
        (0, "0 B"), (1023, "1023 B"), (1024, "1 KiB"), (512 * 1024**2, "512 MiB"),
        (4 * 1024**3, "4 GiB"), (3 * 1024**3 // 2, "1.5 GiB"), (1024**2 - 1, "1 MiB"),
        (5 * 1024**5, "5120 TiB"),
    ],
)
def test_format_size(n, text):
    assert format_size(n) == text


@given(st.integers(1, 1023), st.sampled_from([0, 1, 2, 3, 4]))
def test_whole_units_round_trip(k, power):
    n = k * 1024**power
    assert parse_size(format_size(n)) == n


@given(st.integers(0, 2**50))
def test_format_size_reads_back_within_half_a_percent(n):
    assert abs(parse_size(format_size(n)) - n) <= n * 0.005 + 1


@given(
    st.integers(0, 10**6), st.sampled_from(["", "K", "M", "G", "T"]),
    st.sampled_from(["", "B", "iB"]), st.booleans(),
)
def test_parse_size_units(k, unit, suffix, lower):
    if not unit and suffix == "iB":
        suffix = ""
    text = f"{k}{unit}{suffix}"
    power = "_KMGT".find(unit) if unit else 0
    assert parse_size(text.lower() if lower else text) == k * 1024**power
