"""The one timing protocol behind every time a post or a benchmark reports.

:func:`measure` times one callable:

1. **threads pinned** -- ``torch.set_num_threads(threads)`` and, through ``threadpoolctl``, the
   BLAS/OpenMP pools numpy and scipy use, restored afterwards (default: one thread, so that
   curves are not bent by a pool that starts to help at some size);
2. **warm-up** -- ``warmup`` untimed calls (allocations, caches, lazy initialisation);
3. **calibration** -- a sample is ``number`` back-to-back calls, ``number`` doubled until one
   sample lasts at least ``min_sample`` seconds, so that microsecond calls are not timer noise;
4. **repeats until the spread is small** -- at least ``min_repeats`` samples, then more until
   the relative interquartile range ``(q75 - q25) / median`` is at most ``rel_spread``, or
   ``max_repeats`` samples, or ``budget`` seconds have been spent; the samples of the cells of
   a table are interleaved, round by round, so that drift affects every point alike;
5. **median reported**, per call, with the spread and the number of samples.

:func:`time_table` applies it to a grid of cases and methods (checking first that the methods
agree, so a wrong answer is never timed) and :func:`loglog_slope` fits the growth exponent.
Timings depend on the machine and its load: posts print them with
:func:`blogcode.device.where_it_ran` and never assert speed relations.

Example::

    >>> m = measure(sum, range(100), min_repeats=3, budget=0.5)
    >>> m.seconds > 0 and m.repeats >= 3 and m.threads == 1
    True
"""

from __future__ import annotations

import contextlib
import inspect
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

__all__ = ["Measurement", "measure", "time_table", "loglog_slope", "pinned_threads",
           "PROTOCOL"]

#: One line describing the protocol with its default parameters, for captions.
PROTOCOL = "单线程，预热后重复测量直到四分位距小于中位数的 5%（至少 5 次），取中位数"


@dataclass(frozen=True)
class Measurement:
    """Seconds per call (the median over samples) and how it was obtained."""

    seconds: float  #: median seconds per call
    spread: float  #: (q75 - q25) / median of the samples
    repeats: int  #: number of samples
    number: int  #: calls per sample
    threads: int | None  #: threads the measurement ran on (None: left as it was)


@contextlib.contextmanager
def pinned_threads(threads: int | None) -> Iterator[None]:
    """Run the block on ``threads`` threads (torch and the BLAS/OpenMP pools), then restore.

    ``None`` leaves every pool as it is.

    Example::

        >>> import torch
        >>> before = torch.get_num_threads()
        >>> with pinned_threads(1):
        ...     torch.get_num_threads()
        1
        >>> torch.get_num_threads() == before
        True
    """
    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    import torch
    from threadpoolctl import threadpool_limits

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(old)


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _spread(samples: Sequence[float]) -> float:
    if len(samples) < 2:
        return float("inf")
    q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    med = statistics.median(samples)
    return (q3 - q1) / med if med > 0 else 0.0


def measure(fn: Callable[..., object], *args: Any, threads: int | None = 1, warmup: int = 1,
            min_repeats: int = 5, max_repeats: int = 25, rel_spread: float = 0.05,
            min_sample: float = 2e-3, budget: float = 1.0,
            sync: Callable[[], object] | None = None) -> Measurement:
    """Median seconds per call of ``fn(*args)`` under the protocol of this module.

    Args:
        threads: threads to pin for the measurement (``None``: leave them).
        warmup: untimed calls first (``0`` allowed).
        min_repeats, max_repeats: bounds on the number of samples.
        rel_spread: stop once the relative interquartile range is at most this.
        min_sample: a sample repeats the call until it lasts at least this many seconds.
        budget: stop adding samples (beyond ``min_repeats``) after this many seconds.
        sync: called after each sample before the clock is read (e.g.
            ``torch.cuda.synchronize`` for GPU work).

    Example::

        >>> m = measure(lambda: sum(range(10_000)), min_repeats=3, max_repeats=3)
        >>> (m.repeats, m.number >= 1, m.spread >= 0)
        (3, True, True)
    """
    call = (lambda: fn(*args)) if args else fn
    return _measure_cells([call], threads=threads, warmup=warmup, min_repeats=min_repeats,
                          max_repeats=max_repeats, rel_spread=rel_spread,
                          min_sample=min_sample, budget=budget, sync=sync)[0]


def _measure_cells(calls: Sequence[Callable[[], object]], *, threads: int | None, warmup: int,
                   min_repeats: int, max_repeats: int, rel_spread: float, min_sample: float,
                   budget: float, sync: Callable[[], object] | None) -> list[Measurement]:
    """The protocol for several callables at once, their samples interleaved.

    Each callable is warmed up and calibrated on its own; then every round takes one sample
    of each, the order reversed on alternate rounds, so that a slow drift of the machine
    (clock boost, other load) shifts every cell of a table alike instead of bending the curve.
    Rounds stop when every cell's spread is small, at ``max_repeats``, or after ``budget``
    seconds per cell.
    """
    _positive_int("min_repeats", min_repeats)
    _positive_int("max_repeats", max_repeats)
    if max_repeats < min_repeats:
        raise ValueError(f"max_repeats ({max_repeats}) must be >= min_repeats ({min_repeats})")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int, got {warmup!r}")
    if not rel_spread >= 0 or not min_sample >= 0 or not budget >= 0:
        raise ValueError("rel_spread, min_sample and budget must be >= 0")
    done = sync or (lambda: None)

    def sample(call: Callable[[], object], number: int) -> float:
        t0 = time.perf_counter()
        for _ in range(number):
            call()
        done()
        return time.perf_counter() - t0

    numbers: list[int] = []
    samples: list[list[float]] = []
    with pinned_threads(threads):
        for call in calls:
            for _ in range(warmup):
                call()
            done()
            number, first = 1, sample(call, 1)
            while first < min_sample and number < 1 << 20:
                grow = 2 if first <= 0 else int(np.clip(np.ceil(1.2 * min_sample / first), 2,
                                                         1024))
                number, first = number * grow, sample(call, number * grow)
            numbers.append(number)
            samples.append([first / number])
        start = time.perf_counter()
        order = list(range(len(calls)))
        for rounds in range(1, max_repeats):
            if rounds >= min_repeats and (
                    all(_spread(s) <= rel_spread for s in samples)
                    or time.perf_counter() - start > budget * len(calls)):
                break
            for i in order[::-1] if rounds % 2 else order:
                samples[i].append(sample(calls[i], numbers[i]) / numbers[i])
    return [Measurement(seconds=statistics.median(s), spread=_spread(s), repeats=len(s),
                        number=n, threads=threads) for s, n in zip(samples, numbers, strict=True)]


#: The options of :func:`measure` and their defaults (shared by :func:`time_table`).
_DEFAULTS = {name: p.default for name, p in inspect.signature(measure).parameters.items()
             if p.kind is inspect.Parameter.KEYWORD_ONLY}


def time_table(cases: Sequence[Mapping[str, Any]], setup: Callable[..., Any],
               methods: Mapping[str, Callable[[Any], object]], *,
               check: Callable[[str, object, object], bool] | None = None,
               skip: Callable[[str, Mapping[str, Any]], bool] | None = None,
               **protocol: Any) -> list[dict[str, Any]]:
    """Time every method on every case: one row per case, ``{**case, method: seconds}``.

    ``setup(**case)`` builds the inputs once per case; ``methods[name](inputs)`` is what is
    timed.  When ``check`` is given, every method's result is first compared with the first
    method's, ``check(name, result, reference)``; a ``False`` raises ``AssertionError`` naming
    the method and the case -- a wrong answer is never timed.  ``skip(name, case)`` true leaves
    that cell ``None``.  ``protocol`` sets the options of :func:`measure` (``threads``, ...);
    the cells of the whole table are measured together, their samples interleaved round by
    round (see :func:`_measure_cells`), so a drift of the machine cannot bend a curve.  The
    measurements themselves are in ``row["_measurements"]``.

    Example::

        >>> rows = time_table([{"n": 10}, {"n": 20}], lambda n: list(range(n)),
        ...                   {"sum": sum, "max": max}, min_repeats=2, max_repeats=2)
        >>> [sorted(k for k in r if k != "_measurements") for r in rows]
        [['max', 'n', 'sum'], ['max', 'n', 'sum']]
    """
    if not methods:
        raise ValueError("give at least one method")
    unknown = set(protocol) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown timing options {sorted(unknown)}; use {sorted(_DEFAULTS)}")
    rows: list[dict[str, Any]] = []
    cells: list[tuple[int, str, Callable[[], object]]] = []
    for case in cases:
        inputs = setup(**case)
        run = {name: fn for name, fn in methods.items() if not (skip and skip(name, case))}
        if check is not None and run:
            results = {name: fn(inputs) for name, fn in run.items()}
            ref_name = next(iter(results))
            for name, res in results.items():
                if name != ref_name and not check(name, res, results[ref_name]):
                    raise AssertionError(f"{name!r} disagrees with {ref_name!r} at {dict(case)}")
        cells += [(len(rows), name, partial(fn, inputs)) for name, fn in run.items()]
        rows.append(dict(case))
    settings = {**_DEFAULTS, **protocol}
    found = _measure_cells([call for _, _, call in cells], **settings)
    for row in rows:
        row["_measurements"] = {}
    for (i, name, _), m in zip(cells, found, strict=True):
        rows[i]["_measurements"][name] = m
    for row in rows:
        for name in methods:
            m = row["_measurements"].get(name)
            row[name] = None if m is None else m.seconds
    return rows


def loglog_slope(ns: Sequence[float], times: Sequence[float]) -> float:
    """Least-squares slope of ``log t`` against ``log n`` (2 for quadratic growth).

    Example::

        >>> round(loglog_slope([1, 2, 4, 8], [3, 12, 48, 192]), 6)
        2.0
    """
    if len(ns) != len(times) or len(ns) < 2:
        raise ValueError("loglog_slope needs at least two (n, t) pairs of equal length")
    if min(ns) <= 0 or min(times) <= 0:
        raise ValueError("loglog_slope needs positive sizes and times")
    return float(np.polyfit(np.log(ns), np.log(times), 1)[0])
