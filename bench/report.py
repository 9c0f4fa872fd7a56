"""Write ``bench/RESULTS.md`` and ``bench/results.png`` from ``bench/results.json`` only.

``bench/run_all.py --repeat N`` runs every benchmark N times and writes the JSON: every run's raw
figures (``runs``), and per figure its values, median and spread (``figures``: ``values``,
``median``, ``min``, ``max``). This module owns that format (``run_figures``, ``summarise``) and
turns it into the page: every figure shown as its median with the spread beside it, and every
target row computed from the figures by an explicit rule. A target is **met** only when every
run satisfies it (the whole spread); **mixed** when only some runs do (that is not met);
**not met** when none does; **not measured** when the JSON lacks the figure.

Usage::

    .venv/bin/python bench/report.py            # write bench/RESULTS.md and bench/results.png
    .venv/bin/python bench/report.py --check    # exit 1 if bench/RESULTS.md is not current
    .venv/bin/python bench/report.py --json other.json --md other.md --chart other.png

The chart needs matplotlib (``pip install -e '.[dev,bench]'``); ``--check`` and ``--no-chart``
do not.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"
RESULTS_PNG = HERE / "results.png"
REGENERATE = ".venv/bin/python bench/report.py"

Figures = dict[str, dict[str, Any]]

#: The ``format`` of the results.json that ``run_all.py`` writes: raw runs + figures (values,
#: median, min, max). 3: peak RSS is the measured program's own (read through a launcher),
#: the full-sync floor counts every query an endpoint needs, the target's API requests.
FORMAT = 3
#: Why the figures of an older format do not measure what the page claims, and the figures
#: (parts of their keys) whose verdicts that voids.
OUTDATED: dict[int, tuple[str, tuple[str, ...]]] = {
    2: (
        "these figures were measured by an older version of the benchmarks (results format 2). "
        "Its peak RSS figures are not the programs' own: Linux starts a program's `ru_maxrss` "
        "at the high-water RSS of the process that execs it, and the programs were exec'd "
        "from a vfork of the benchmark, so each read at least the benchmark's own peak. Its "
        "full-sync floor counted one query per endpoint, where `CreditAccount` needs two "
        "(gift cards are listed only with `giftCard=true`). Verdicts on those figures are "
        "void; `bench/run_all.py` measures them again.",
        ("max_rss_mb", "rss_growth", "full_sync.extra_", "full_sync.floor_"),
    ),
}


# -- the JSON format --------------------------------------------------------------------------


def flatten(tree: Any, prefix: str = "") -> dict[str, float]:
    """Every number (booleans as 0/1) of one run's raw figures, under a dotted path.

    Lists of measurements with a ``records`` count are keyed by that count
    (``memory.tap.100000.max_rss_mb``), other lists by position. Strings and nulls are left
    out (they stay in the raw run).
    """
    out: dict[str, float] = {}
    if isinstance(tree, bool):
        out[prefix] = int(tree)
    elif isinstance(tree, int | float):
        out[prefix] = tree
    elif isinstance(tree, dict):
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            name = value.get("records", index) if isinstance(value, dict) else index
            out.update(flatten(value, f"{prefix}.{name}"))
    return out


def volumes(figures: dict[str, Any], prefix: str) -> list[int]:
    """The record counts measured under ``prefix`` (e.g. ``memory.tap``), ascending."""
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.max_rss_mb$")
    return sorted({int(m.group(1)) for key in figures if (m := pattern.match(key))})


def run_figures(run: dict[str, Any]) -> dict[str, float]:
    """The flat figures of one run, with the per-run derived ratios.

    Derived (so that their spread is the spread of per-run ratios, not a ratio of medians):
    ``memory.cpu_ratio.<n>`` (tap CPU per record over the default SDK tap's, whole processes
    fed from the sandbox) and ``memory.<tap|target>.rss_growth`` (peak RSS at the largest
    volume over peak RSS at the smallest) and ``pacing.<tap|stock>.span_over_theory`` (measured
    span over the theoretical shortest).
    """
    flat = flatten(run)
    for n in volumes(flat, "memory.tap"):
        tap, plain = flat.get(f"memory.tap.{n}.cpu_us"), flat.get(f"memory.plain.{n}.cpu_us")
        if tap is not None and plain:
            flat[f"memory.cpu_ratio.{n}"] = round(tap / plain, 4)
    for side in ("tap", "target"):
        sizes = volumes(flat, f"memory.{side}")
        if len(sizes) > 1:
            first = flat[f"memory.{side}.{sizes[0]}.max_rss_mb"]
            last = flat[f"memory.{side}.{sizes[-1]}.max_rss_mb"]
            flat[f"memory.{side}.rss_growth"] = round(last / first, 4)
    for side in ("tap", "stock"):
        span, theory = (
            flat.get(f"pacing.{side}.span_s"),
            flat.get(f"pacing.{side}.theoretical_span_s"),
        )
        if span is not None and theory:
            flat[f"pacing.{side}.span_over_theory"] = round(span / theory, 4)
    return flat


def summarise(runs: list[dict[str, Any]]) -> Figures:
    """Per figure: the value of every run (null where a run lacks it), median, min and max."""
    flats = [run_figures(run) for run in runs]
    keys = sorted({key for flat in flats for key in flat})
    summary: Figures = {}
    for key in keys:
        values = [flat.get(key) for flat in flats]
        numbers = [v for v in values if v is not None]
        summary[key] = {
            "values": values,
            "median": statistics.median(numbers),
            "min": min(numbers),
            "max": max(numbers),
        }
    return summary


# -- showing figures --------------------------------------------------------------------------


def median(figures: Figures, key: str) -> float | None:
    """The median of a figure, or None when it was not measured."""
    entry = figures.get(key)
    return None if entry is None else entry["median"]


def show(figures: Figures, key: str, digits: int = 1, scale: float = 1, unit: str = "") -> str:
    """``median unit`` followed by the spread ``(min..max)`` when the runs differ."""
    entry = figures.get(key)
    if entry is None:
        return "not measured"

    def fmt(value: float) -> str:
        return f"{value * scale:,.{digits}f}"

    text = f"{fmt(entry['median'])}{unit}"
    low, high = fmt(entry["min"]), fmt(entry["max"])
    if len(entry["values"]) > 1 and (low != high or None in entry["values"]):
        missing = entry["values"].count(None)
        text += f" ({low}..{high}" + (f", missing in {missing} runs" if missing else "") + ")"
    return text


def runs_true(figures: Figures, key: str) -> str:
    """``k of n runs`` for a yes/no figure (1 = yes)."""
    entry = figures.get(key)
    if entry is None:
        return "not measured"
    return f"{sum(1 for v in entry['values'] if v)} of {len(entry['values'])} runs"


# -- targets ----------------------------------------------------------------------------------

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda value, bound: value <= bound,
    "<": lambda value, bound: value < bound,
    ">=": lambda value, bound: value >= bound,
    "==": lambda value, bound: value == bound,
}
SYMBOL = {"<=": "≤", "<": "<", ">=": "≥", "==": "="}


@dataclass(frozen=True)
class Target:
    """One claim: ``figure`` compared with ``bound`` in every run."""

    claim: str
    figure: str
    op: str
    bound: float
    digits: int = 1
    scale: float = 1
    unit: str = ""

    def rule(self) -> str:
        """The rule as the page states it."""
        bound = f"{self.bound * self.scale:g}{self.unit}"
        return f"`{self.figure}` {SYMBOL[self.op]} {bound} in every run"


def verdict(entry: dict[str, Any] | None, op: str, bound: float) -> tuple[str, int, int]:
    """``(verdict, runs passing, runs)``; a run without the figure does not pass."""
    if entry is None:
        return "not measured", 0, 0
    values = entry["values"]
    passing = sum(1 for v in values if v is not None and COMPARE[op](v, bound))
    if passing == len(values):
        return "met", passing, len(values)
    return ("mixed" if passing else "not met"), passing, len(values)


VERDICT_TEXT = {
    "met": "**Met**",
    "mixed": "**Not met** (mixed: {passing} of {runs} runs)",
    "not met": "**Not met**",
    "not measured": "not measured",
}


def targets(figures: Figures) -> list[Target]:
    """The claims, with the volumes present in ``figures``."""
    rows = [
        Target(
            "Tap pacing ≥ 95% of the bucket's maximum",
            "pacing.tap.efficiency_bucket",
            ">=",
            0.95,
            scale=100,
            unit="%",
        ),
        Target(
            "Target pacing ≥ 95% of the drip",
            "target_pacing.utilisation",
            ">=",
            0.95,
            scale=100,
            unit="%",
        ),
        Target("Tap: 0 429s", "pacing.tap.429s", "==", 0, digits=0),
        Target(
            "Full sync: requests = the floor (one per 100 records of each query an endpoint needs)",
            "full_sync.extra_requests",
            "==",
            0,
            digits=0,
        ),
        Target(
            "Full sync: bucket units = the floor's (documented cost of those pages)",
            "full_sync.extra_units",
            "==",
            0,
        ),
        Target("Full sync: 0 429s", "full_sync.all_429s", "==", 0, digits=0),
        Target("Target: 0 429s", "target_pacing.429s.total", "==", 0, digits=0),
        Target(
            "Target: an unchanged second run makes 0 API requests",
            "second_run.second.api_requests",
            "==",
            0,
            digits=0,
        ),
        Target(
            "Tap CPU per record ≤ the default SDK's (wire pages from memory)",
            "tap_cpu.ratio",
            "<=",
            1.0,
            digits=2,
        ),
        Target(
            "sale_lines CPU per row ≤ sales' per record (sales deselected)",
            "sale_lines_cpu.ratio",
            "<=",
            1.0,
            digits=2,
        ),
    ]
    for n in volumes(figures, "memory.tap"):
        rows.append(
            Target(
                f"Tap CPU per record ≤ the default SDK's (from the sandbox, {n:,} customers)",
                f"memory.cpu_ratio.{n}",
                "<=",
                1.0,
                digits=2,
            )
        )
    tap_sizes = volumes(figures, "memory.tap")
    if tap_sizes:
        rows.append(
            Target(
                f"Tap peak RSS < 150 MB at {tap_sizes[-1]:,} customers",
                f"memory.tap.{tap_sizes[-1]}.max_rss_mb",
                "<",
                150,
                unit=" MB",
            )
        )
    for side, what in (("tap", "customers"), ("target", "records, dry run")):
        sizes = volumes(figures, f"memory.{side}")
        if len(sizes) > 1:
            rows.append(
                Target(
                    f"{side.title()} memory flat: peak RSS at {sizes[-1]:,} at most 10% above "
                    f"{sizes[0]:,} ({what})",
                    f"memory.{side}.rss_growth",
                    "<=",
                    1.10,
                    digits=3,
                )
            )
    return rows


# -- the page ---------------------------------------------------------------------------------


def cpu_row(
    f: Figures, benchmark: str, sides: list[tuple[str, str]], ratio: str
) -> tuple[str, str, str, str]:
    """A CPU row of the figures table: ``<side> <median us>, ...`` and the ratio.

    Args:
        f: The figures.
        benchmark: What was measured.
        sides: (label, figure key) of each CPU per record shown.
        ratio: The figure key of the ratio.

    Returns:
        The row (section 1).
    """
    figure = ", ".join(f"{label} {show(f, key, unit=' us')}" for label, key in sides)
    return ("1", benchmark, figure, f"ratio **{show(f, ratio, 2)}**")


def queries(f: Figures) -> list[str]:
    """The endpoints whose full-sync floor takes more than one query, with each query's records.

    Args:
        f: The figures.

    Returns:
        ``<Entity> floor in N queries (<query> <records> records, ...)``, one per endpoint.
    """
    pattern = re.compile(r"full_sync\.endpoints\.([^.]+)\.passes\.(.+)$")
    passes: dict[str, list[str]] = {}
    for key in f:
        if m := pattern.match(key):
            passes.setdefault(m.group(1), []).append(m.group(2))
    out = []
    for entity, names in sorted(passes.items()):
        if len(names) < 2:
            continue
        names.sort(key=lambda name: (name != "list", name))  # the plain list first
        counts = ", ".join(
            f"{name} {show(f, f'full_sync.endpoints.{entity}.passes.{name}', 0)} records"
            for name in names
        )
        out.append(f"{entity} floor in {len(names)} queries ({counts})")
    return out


def figure_rows(f: Figures) -> list[tuple[str, str, str, str]]:
    """The rows of the figures table: (section, benchmark, figure, detail)."""
    rows: list[tuple[str, str, str, str]] = []
    if "tap_cpu.ratio" in f:
        records = median(f, "tap_cpu.records") or 0
        rows.append(
            cpu_row(
                f,
                "Tap CPU/record, sales wire pages from memory "
                f"(`bench_tap_cpu.py`, {records:,.0f})",
                [("tap", "tap_cpu.tap_us"), ("default SDK", "tap_cpu.plain_us")],
                "tap_cpu.ratio",
            )
        )
    if "sale_lines_cpu.ratio" in f:
        sales = median(f, "sale_lines_cpu.sales") or 0
        rows.append(
            cpu_row(
                f,
                "Tap CPU/record of the derived `sale_lines`, sales wire pages from memory "
                f"(`bench_tap_cpu.py --stream sale_lines`, {sales:,.0f} sales)",
                [
                    ("sale_lines alone", "sale_lines_cpu.lines_us"),
                    ("sales alone", "sale_lines_cpu.sales_us"),
                    ("both", "sale_lines_cpu.both_us"),
                ],
                "sale_lines_cpu.ratio",
            )
        )
    for n in volumes(f, "memory.tap"):
        rows.append(
            cpu_row(
                f,
                f"Tap CPU/record from the sandbox, {n:,} customers (whole process)",
                [("tap", f"memory.tap.{n}.cpu_us"), ("default SDK", f"memory.plain.{n}.cpu_us")],
                f"memory.cpu_ratio.{n}",
            )
        )
    if "pacing.settings.pages" in f:
        s = {k: median(f, f"pacing.settings.{k}") for k in ("pages", "bucket_size", "drip_rate")}
        burst = median(f, "pacing.settings.burst")
        for side, label in (("tap", "Tap pacing"), ("stock", "Stock singer-sdk retry-on-429")):
            if f"pacing.{side}.span_s" not in f:
                continue
            p = f"pacing.{side}"
            rows.append(
                (
                    "2",
                    f"{label}, {s['pages']:.0f} pages, bucket {s['bucket_size']:g}, drip "
                    f"{s['drip_rate']:g}/s, burst {burst:g}/s",
                    f"**{show(f, f'{p}.efficiency_bucket', scale=100, unit='%')}** of the bucket's "
                    f"maximum ({show(f, f'{p}.span_s', unit=' s')} vs "
                    f"{show(f, f'{p}.theoretical_span_s', unit=' s')} theory)",
                    f"**{show(f, f'{p}.429s', 0)}** 429s; completed in {runs_true(f, f'{p}.ok')}",
                )
            )
    if "full_sync.requests" in f:
        volumes_text = ", ".join(
            f"{median(f, f'full_sync.settings.{k}') or 0:,.0f} {k}"
            for k in ("customers", "items", "sales")
        )
        rows.append(
            (
                "2",
                f"Tap full sync of the whole store, {volumes_text}, every default stream, "
                f"drip {median(f, 'full_sync.settings.drip_rate') or 0:g}/s "
                "(`bench_full_sync.py`)",
                f"**{show(f, 'full_sync.requests', 0)}** requests vs floor "
                f"{show(f, 'full_sync.floor_requests', 0)}; **{show(f, 'full_sync.units')}** "
                f"units vs floor {show(f, 'full_sync.floor_units')}",
                f"**{show(f, 'full_sync.all_429s', 0)}** 429s; completed in "
                f"{runs_true(f, 'full_sync.ok')}" + "".join(f"; {q}" for q in queries(f)),
            )
        )
    if "target_pacing.utilisation" in f:
        rows.append(
            (
                "3",
                f"Target pacing, {show(f, 'target_pacing.writes', 0)} writes, bucket "
                f"{median(f, 'target_pacing.bucket.size'):g}, drip "
                f"{median(f, 'target_pacing.bucket.drip_per_s'):g}/s (`bench_target_pacing.py`)",
                f"**{show(f, 'target_pacing.utilisation', scale=100, unit='%')}** of the drip, "
                f"{show(f, 'target_pacing.writes_per_s', 2)} writes/s",
                f"**{show(f, 'target_pacing.429s.total', 0)}** 429s",
            )
        )
    if "second_run.second.api_requests" in f:
        rows.append(
            (
                "3",
                f"Target, unchanged second run of {show(f, 'second_run.records', 0)} records",
                f"**{show(f, 'second_run.second.api_requests', 0)}** API requests, "
                f"{show(f, 'second_run.second.writes', 0)} writes",
                f"first run: {show(f, 'second_run.first.api_requests', 0)} requests",
            )
        )
    for side, label in (("tap", "Tap peak RSS"), ("target", "Target peak RSS (dry run)")):
        for n in volumes(f, f"memory.{side}"):
            rows.append(
                (
                    "4",
                    f"{label}, {n:,} {'customers' if side == 'tap' else 'records'}",
                    f"**{show(f, f'memory.{side}.{n}.max_rss_mb', unit=' MB')}**",
                    f"{show(f, f'memory.{side}.{n}.cpu_us', unit=' us')} CPU/record, "
                    + (
                        f"{show(f, f'memory.{side}.{n}.requests_per_record', 2)} API "
                        "requests/record, "
                        if f"memory.{side}.{n}.requests_per_record" in f
                        else ""
                    )
                    + f"{show(f, f'memory.{side}.{n}.wall_s', 0, unit=' s')}",
                )
            )
    for case in sorted({k.split(".")[1] for k in f if k.startswith("sandbox.")}):
        p = f"sandbox.{case}"
        rows.append(
            (
                "5",
                f"Sandbox serving {show(f, f'{p}.records', 0)} records, {case} "
                "(`bench_sandbox.py`)",
                f"{show(f, f'{p}.records_per_second', 0)} records/s",
                f"{show(f, f'{p}.records_per_server_cpu_second', 0)} records per server CPU second",
            )
        )
    return rows


def how_made(f: Figures) -> str:
    """How each figure is made, with the settings of this run filled in."""
    text = HOW_MADE
    if "pacing.tap.cost" in f:
        size = median(f, "pacing.settings.bucket_size") or 0
        drip = median(f, "pacing.settings.drip_rate") or 1
        cost = median(f, "pacing.tap.cost") or 1
        pages = median(f, "pacing.settings.pages") or 0
        at_once = math.floor(size / cost)
        text += PACING_THEORY.format(
            size=size,
            drip=drip,
            cost=cost,
            pages=pages,
            at_once=at_once,
            rate=drip / cost,
            span=max(0, pages - at_once) * cost / drip,
        )
    return text


def notes(f: Figures) -> list[str]:
    """Notes computed from the figures."""
    out: list[str] = []
    burst, drip = median(f, "pacing.settings.burst"), median(f, "pacing.settings.drip_rate")
    cost = median(f, "pacing.tap.cost")
    if burst and drip and cost:
        margin = burst - 1
        out.append(
            f'With a burst limit of {burst:g} a second the bucket\'s "first requests at once" '
            f"cannot happen; the pacer keeps one request of margin ({margin:g} a second), which "
            f"is {margin:g} x {cost:g} = {margin * cost:.1f} units a second against the "
            f"{drip:g}/s drip. The figure against a model that includes the burst limiter is "
            "`efficiency_exact` (tap: "
            f"{show(f, 'pacing.tap.efficiency_exact', scale=100, unit='%')})."
            " `steady_rps` is 0 when the bucket never came near full during the sync (no "
            "bucket-full steady state to measure)."
        )
    if "pacing.stock.429s" in f:
        by_type = ", ".join(
            f"{kind} {show(f, f'pacing.stock.429s_by_type.{kind}', 0)}"
            for kind in ("api-burst-limiter", "api-leaky-bucket", "storm")
            if f"pacing.stock.429s_by_type.{kind}" in f
        )
        out.append(
            f"The stock SDK's 429s by limiter: {by_type}; the first after "
            f"{show(f, 'pacing.stock.first_429_after_s', 2, unit=' s')}. Each costs a "
            "`backoff.expo(factor=2)` wait with jitter, so the sync takes "
            f"{show(f, 'pacing.stock.span_over_theory')} times the theoretical time. It gives up "
            "after 5 consecutive 429s on one request."
        )
    return out


def outdated(results: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """Why an older results.json does not measure what the page claims (None: it does).

    Args:
        results: the JSON's content.

    Returns:
        The reason, and the figures (parts of their keys) whose verdicts it voids.
    """
    version = results.get("format", 1)
    if version >= FORMAT:
        return None
    generic = (
        f"these figures were measured by an older version of the benchmarks (results format "
        f"{version}); `bench/run_all.py` measures them again.",
        (),
    )
    return OUTDATED.get(version, generic)


def render(
    results: dict[str, Any],
    command: str = REGENERATE,
    source: str = "bench/results.json",
    chart_name: str = RESULTS_PNG.name,
) -> str:
    """The whole RESULTS.md for ``results`` (the JSON written by ``run_all.py``).

    Args:
        results: the JSON's content.
        command: the command that writes this page, as the page names it.
        source: the JSON's path, as the page names it.
        chart_name: the chart's file name (beside the page).
    """
    f: Figures = results["figures"]
    m = results["machine"]
    runs = results["repeat"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `{command}` from `{source}`: do not edit by hand. The figures "
        f"were measured by `{results['command']}`.",
        "",
    ]
    if results.get("quick"):
        lines += ["**Quick volumes** (`--quick`): a smoke run, not figures to quote.", ""]
    if results.get("note"):
        lines += [f"**Note**: {results['note']}", ""]
    stale = outdated(results)
    if stale:
        lines += [f"**Outdated**: {stale[0]}", ""]

    def load(value: list[float] | None) -> str:
        return "not recorded" if not value else f"{value[0]:.2f}"

    lines += [
        f"**Machine**: {m['nproc']} x {m['cpu']}, {m['ram_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, singer-sdk {m['singer_sdk']}.",
        "",
        f"**Runs**: every benchmark {runs} time{'s' if runs != 1 else ''} in one pass of "
        f"{results['total_s']:,.0f} s; load average (1 min) {load(m.get('load_start'))} at the "
        f"start, {load(m.get('load_end'))} at the end. Every figure is the median of the runs, "
        "followed by the spread (min..max) when the runs differ.",
        "",
    ]
    timed = [f"seconds.{name}" for name in results["runs"][0].get("seconds", {})]
    if timed:
        each = ", ".join(f"{key.split('.', 1)[1]} {show(f, key, 0, unit=' s')}" for key in timed)
        whole = sum(f[key]["median"] for key in timed)
        lines += [f"**Time per run**: {whole:,.0f} s ({each}).", ""]
    lines += [
        f"![benchmarks]({chart_name})",
        "",
        "| # | Benchmark | Figure | Detail |",
        "|:-:|:--|:--|:--|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in figure_rows(f)]
    lines += [
        "",
        "## Targets",
        "",
        "A target is **met** only when every run satisfies it (the whole spread); **not met "
        "(mixed)** when only some runs do; **not met** when no run does.",
        "",
        "| Target | Rule | Runs: median (min..max) | Verdict |",
        "|:--|:--|:--|:--|",
    ]
    for target in targets(f):
        name, passing, total = verdict(f.get(target.figure), target.op, target.bound)
        figure = show(f, target.figure, target.digits, target.scale, target.unit)
        text = VERDICT_TEXT[name].format(passing=passing, runs=total)
        if stale and any(part in target.figure for part in stale[1]):
            text = "void (outdated figure, see above)"
        lines.append(f"| {target.claim} | {target.rule()} | {figure} | {text} |")
    lines += ["", "## How each figure is made", "", how_made(f).rstrip(), ""]
    extra = notes(f)
    if extra:
        lines += ["## Notes", ""] + [f"- {note}" for note in extra] + [""]
    return "\n".join(lines)


HOW_MADE = """\
1. **CPU**: user+sys CPU per record. Row one is `bench_tap_cpu.py` (both sides in one process,
   wire pages served from memory by requests-mock, sales). The "from the sandbox" rows run the
   real `tap-lightspeed` CLI as a subprocess against a `lightspeed-sandbox serve --no-bucket`
   subprocess (customers with `Contact`, output to `/dev/null`), and a default singer-sdk tap
   (default writer, default type conformance) emitting as many records, a pool of real tap records
   cycled from memory, also as a subprocess. Both are measured the same way (`os.wait4` of
   that program, interpreter start included, see 4); the ratio is taken per run. The sandbox's
   CPU is not counted. At small volumes interpreter start and imports weigh more in the
   whole-process figures, and the HTTP round trips (requests + urllib3) cost the tap what the
   in-memory stream does not pay. The `sale_lines` row reads the same kind of sales pages (1 to
   3 lines a sale) with `sales` alone, `sale_lines` alone (`sales` deselected) and both, CPU per
   record emitted; its ratio is `sale_lines` alone over `sales` alone.
2. **Tap pacing**: the real CLI against `lightspeed-sandbox serve --bucket-size S --drip-rate D
   --burst-limit B` (pages of 100 customers with `Contact`), starting from an empty bucket.
   Efficiency = theoretical shortest span / measured span (server-side times of the first and
   last page). The stock comparison is a plain `RESTStream` (SDK default: 429 retriable,
   `backoff.expo(factor=2)`, 5 tries, no pacing) on the same sandbox, bucket emptied first.
   The full-sync row (`bench_full_sync.py`) syncs every stream selected by default from an
   empty state and counts the account's API requests, bucket units (logged request costs) and
   429s against the floor: per endpoint, `max(1, ceil(records / 100))` requests for each query
   the endpoint needs to list every record, the records of each query counted by reading it
   after the sync. Most endpoints need one query; `CreditAccount` needs two, as its official
   page says the list includes gift cards only when passed `giftCard=true` (store credit, then
   gift cards). Each request is at the documented price of a list page with the tap's
   relations (1, +0.1 per to-one and +0.2 per to-many relation, doubled on list endpoints).
   Derived streams cost nothing; any other request (a query more, a page read twice) is extra.
3. **Target pacing**: the target engineer's `bench_target_pacing.py` (customers and items copied
   into an empty account; utilisation = (units spent - bucket size) / elapsed / drip); the
   second-run row runs `target-lightspeed` twice on the same input and ledger and counts the
   sandbox's API requests of the second run.
4. **Memory**: peak RSS (`ru_maxrss` from `os.wait4`) of the CLI processes. Each program is
   started by a small launcher (`python -I -S`, about 5 MB) that forks, execs it and waits for
   it: Linux starts a program's `ru_maxrss` at the mark of the process that execs it, so a
   program exec'd from the benchmark itself would read at least the benchmark's peak. The
   target reads the tap's own output with `dry_run: true` against an empty sandbox account
   (validates, maps and looks up every record, writes nothing). Customers are looked up by
   `Contact.email`, which takes no `IN` filter (the sandbox refuses it, as the API reference
   says to expect), so nearly every record costs a lookup request of its own: the target's
   CPU per record is mostly that request's, and its API requests per record are shown.
5. **Sandbox**: `bench_sandbox.py`, a `lightspeed-sandbox serve --no-bucket` subprocess read page
   by page with `requests`: records a second seen by the client, and records per CPU second of
   the server process.
"""

PACING_THEORY = """
Pacing theory for this run: N requests of cost c = {cost:g} from an empty bucket of size
S = {size:g} draining D = {drip:g} units a second may go floor(S/c) = {at_once} at once, then
D/c = {rate:.1f} a second, so the shortest span is (N - {at_once}) * c / D = {span:.1f} s for
N = {pages:.0f}.
"""


# -- files ------------------------------------------------------------------------------------


def shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def page(json_path: Path, md_path: Path, chart_path: Path | None) -> str:
    """The page for the JSON file, naming the command that writes it to ``md_path``."""
    args = []
    for flag, path, default in (
        ("--json", json_path, RESULTS_JSON),
        ("--md", md_path, RESULTS_MD),
        ("--chart", chart_path, RESULTS_PNG),
    ):
        if path is not None and path.resolve() != default:
            args += [flag, shown(path)]
    results = json.loads(json_path.read_text(encoding="utf-8"))
    command = shlex.join([*shlex.split(REGENERATE), *args])
    return render(results, command, shown(json_path), (chart_path or RESULTS_PNG).name)


def write_report(json_path: Path, md_path: Path, chart_path: Path | None) -> None:
    """Write the page (and, unless ``chart_path`` is None, the chart) from the JSON file."""
    md_path.write_text(page(json_path, md_path, chart_path), encoding="utf-8")
    if chart_path is not None:
        sys.path.insert(0, str(HERE))
        from chart import draw

        draw(json.loads(json_path.read_text(encoding="utf-8")), chart_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=RESULTS_JSON)
    parser.add_argument("--md", type=Path, default=RESULTS_MD)
    parser.add_argument("--chart", type=Path, default=RESULTS_PNG)
    parser.add_argument("--no-chart", action="store_true", help="write the page only")
    parser.add_argument("--check", action="store_true", help="compare the page, write nothing")
    args = parser.parse_args()
    if args.check:
        if args.md.read_text(encoding="utf-8") != page(args.json, args.md, args.chart):
            print(f"{args.md} is not what {args.json} gives; run {REGENERATE}")
            raise SystemExit(1)
        print(f"{args.md} is current")
        return
    write_report(args.json, args.md, None if args.no_chart else args.chart)
    print(f"wrote {args.md}" + ("" if args.no_chart else f" and {args.chart}"))


if __name__ == "__main__":
    main()
