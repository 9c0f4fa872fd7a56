"""Draw ``bench/results.png`` from ``bench/results.json`` (called by ``bench/report.py``).

Four panels: tap CPU per record beside the default SDK, pacing against the bucket's maximum
(tap and stock SDK, with 429 counts), target pacing and second-run requests, and peak RSS as
volume grows. Bars and points are medians; the error bars span every run (min..max). Needs
matplotlib (``pip install -e '.[dev,bench]'``)::

    .venv/bin/python bench/chart.py [--json bench/results.json] [--out bench/results.png]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import Figures, volumes  # noqa: E402

TAP, OTHER, GREY = "#2a7ab9", "#d9822b", "#bbbbbb"


def series(f: Figures, keys: list[str], scale: float = 1) -> tuple[list[float], list[list[float]]]:
    """Medians of ``keys`` and their spread as matplotlib's ``yerr`` (below, above)."""
    medians = [f[k]["median"] * scale for k in keys]
    below = [(f[k]["median"] - f[k]["min"]) * scale for k in keys]
    above = [(f[k]["max"] - f[k]["median"]) * scale for k in keys]
    return medians, [below, above]


def cpu_panel(ax: Any, f: Figures) -> None:
    """1. Tap CPU per record beside the default SDK tap."""
    labels, tap, plain = [], [], []
    if "tap_cpu.tap_us" in f:
        labels.append("sales, wire\npages (mock)")
        tap.append("tap_cpu.tap_us")
        plain.append("tap_cpu.plain_us")
    for n in volumes(f, "memory.tap"):
        size = f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1000:g}k"
        labels.append(f"customers {size}\nfrom sandbox")
        tap.append(f"memory.tap.{n}.cpu_us")
        plain.append(f"memory.plain.{n}.cpu_us")
    x = range(len(labels))
    for keys, offset, label, color in (
        (plain, -0.2, "default singer-sdk tap", GREY),
        (tap, 0.2, "tap-lightspeed", TAP),
    ):
        values, spread = series(f, keys)
        ax.bar([i + offset for i in x], values, 0.4, yerr=spread, label=label, color=color)
    ax.set_xticks(list(x), labels, fontsize=8)
    ax.set_ylabel("CPU us per record (user+sys)")
    ax.set_title("1. Tap CPU per record (lower is better)")
    ax.legend(fontsize=8)


def pacing_panel(ax: Any, f: Figures) -> None:
    """2. Pacing against the bucket's maximum, tap and stock SDK."""
    sides = [k for k in ("tap", "stock") if f"pacing.{k}.efficiency_bucket" in f]
    names = {"tap": "tap-lightspeed", "stock": "stock singer-sdk\n(retry on 429)"}
    values, spread = series(f, [f"pacing.{k}.efficiency_bucket" for k in sides], 100)
    bars = ax.bar([names[k] for k in sides], values, yerr=spread, color=[TAP, OTHER][: len(sides)])
    for bar, k in zip(bars, sides, strict=True):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            bar.get_height() + 4,
            f"{bar.get_height():.1f}%\n429s: {f[f'pacing.{k}.429s']['median']:g}",
            ha="center",
            fontsize=9,
        )
    ax.axhline(95, ls="--", color="green", lw=1, label="target 95%")
    ax.set_ylim(0, 125)
    ax.set_ylabel("% of the bucket's theoretical maximum")
    s = {k: f[f"pacing.settings.{k}"]["median"] for k in ("pages", "bucket_size", "drip_rate")}
    ax.set_title(
        f"2. Tap pacing: {s['pages']:g} pages, bucket {s['bucket_size']:g}, "
        f"drip {s['drip_rate']:g}/s"
    )
    ax.legend(fontsize=8, loc="lower right")


def target_panel(ax: Any, f: Figures) -> None:
    """3. Target write pacing, and API requests of a first and an unchanged second run."""
    values, spread = series(f, ["target_pacing.utilisation"], 100)
    ax.bar(["write pacing\n(% of drip)"], values, yerr=spread, color=TAP)
    ax.text(
        0,
        values[0] + 4,
        f"{values[0]:.1f}%\n429s: {f['target_pacing.429s.total']['median']:g}",
        ha="center",
        fontsize=9,
    )
    ax.axhline(95, ls="--", color="green", lw=1)
    ax.set_ylim(0, 125)
    ax.set_ylabel("%")
    if "second_run.first.api_requests" in f:
        ax2 = ax.twinx()
        values, spread = series(
            f, ["second_run.first.api_requests", "second_run.second.api_requests"]
        )
        ax2.bar(
            ["API requests,\nfirst run", "API requests,\nunchanged 2nd run"],
            values,
            yerr=spread,
            color="#999999",
        )
        ax2.set_ylabel("requests")
    ax.set_title(
        f"3. Target: {f['target_pacing.writes']['median']:g} writes; rerun of "
        f"{f.get('second_run.records', {'median': 0})['median']:g} records"
    )


def memory_panel(ax: Any, f: Figures) -> None:
    """4. Peak RSS as volume grows."""
    highest = 0.0
    for side, marker, label, color in (
        ("tap", "o-", "tap-lightspeed (customers)", TAP),
        ("target", "s-", "target-lightspeed (dry run)", OTHER),
    ):
        sizes = volumes(f, f"memory.{side}")
        if not sizes:
            continue
        values, spread = series(f, [f"memory.{side}.{n}.max_rss_mb" for n in sizes])
        ax.errorbar(sizes, values, yerr=spread, fmt=marker, label=label, color=color, capsize=3)
        highest = max([highest, *(f[f"memory.{side}.{n}.max_rss_mb"]["max"] for n in sizes)])
    ax.axhline(150, ls="--", color="red", lw=1, label="tap limit 150 MB")
    ax.set_xscale("log")
    ax.set_ylim(0, max(160, highest + 20))
    ax.set_xlabel("records")
    ax.set_ylabel("peak RSS (MB)")
    ax.set_title("4. Memory as volume grows")
    ax.legend(fontsize=8)


PANELS = (
    (cpu_panel, "tap_cpu.tap_us"),
    (pacing_panel, "pacing.tap.efficiency_bucket"),
    (target_panel, "target_pacing.utilisation"),
    (memory_panel, "memory.tap."),
)


def draw(results: dict[str, Any], out: Path) -> None:
    """Draw into ``out`` the panels whose figures (key or key prefix) ``results`` holds."""
    f: Figures = results["figures"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    m = results["machine"]
    runs = results["repeat"]
    fig.suptitle(
        f"tap-lightspeed / target-lightspeed benchmarks: {m['nproc']} x {m['cpu']}, "
        f"Python {m['python']}, singer-sdk {m['singer_sdk']}; median of {runs} run"
        f"{'s' if runs != 1 else ''}" + (", error bars min..max" if runs > 1 else ""),
        fontsize=10,
    )
    for ax, (panel, needs) in zip(axes.flat, PANELS, strict=True):
        if any(key.startswith(needs) for key in f):
            panel(ax, f)
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, f"{panel.__doc__.split(':')[0]}: not measured", ha="center")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    parser.add_argument("--out", type=Path, default=HERE / "results.png")
    args = parser.parse_args()
    draw(json.loads(args.json.read_text(encoding="utf-8")), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
