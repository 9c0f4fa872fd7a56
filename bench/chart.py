"""Draw ``bench/results.png`` from ``bench/results.json`` (written by ``bench/run_all.py``).

Four panels: tap CPU per record beside the default SDK, pacing against the bucket's maximum
(tap and stock SDK, with 429 counts), target pacing and second-run requests, and peak RSS as
volume grows. Needs matplotlib (not a project dependency; run by hand)::

    .venv/bin/pip install matplotlib
    .venv/bin/python bench/chart.py [--json bench/results.json] [--out bench/results.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent


def draw(results: dict, out: Path) -> None:
    """Draw the four panels into ``out``."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    m = results["machine"]
    fig.suptitle(
        f"tap-lightspeed / target-lightspeed benchmarks: {m['nproc']} x {m['cpu']}, "
        f"Python {m['python']}, singer-sdk {m['singer_sdk']}",
        fontsize=10,
    )

    ax = axes[0][0]
    labels, tap, plain = (
        ["sales, wire\npages (mock)"],
        [results["tap_cpu"]["tap_us"]],
        [results["tap_cpu"]["plain_us"]],
    )
    for t, p in zip(results["memory"]["tap"], results["memory"]["plain"], strict=True):
        labels.append(f"customers {t['records'] // 1000}k\nfrom sandbox")
        tap.append(t["cpu_us"])
        plain.append(p["cpu_us"])
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], plain, 0.4, label="default singer-sdk tap", color="#bbbbbb")
    ax.bar([i + 0.2 for i in x], tap, 0.4, label="tap-lightspeed", color="#2a7ab9")
    ax.set_xticks(list(x), labels, fontsize=8)
    ax.set_ylabel("CPU us per record (user+sys)")
    ax.set_title("1. Tap CPU per record (lower is better)")
    ax.legend(fontsize=8)

    ax = axes[0][1]
    p = results["pacing"]
    sides = [k for k in ("tap", "stock") if k in p]
    names = {"tap": "tap-lightspeed", "stock": "stock singer-sdk\n(retry on 429)"}
    eff = [p[k]["efficiency_bucket"] * 100 for k in sides]
    bars = ax.bar([names[k] for k in sides], eff, color=["#2a7ab9", "#d9822b"][: len(sides)])
    for bar, k in zip(bars, sides, strict=True):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            bar.get_height() + 1,
            f"{bar.get_height():.1f}%\n429s: {p[k]['429s']}",
            ha="center",
            fontsize=9,
        )
    ax.axhline(95, ls="--", color="green", lw=1, label="target 95%")
    ax.set_ylim(0, 120)
    ax.set_ylabel("% of the bucket's theoretical maximum")
    s = p["settings"]
    ax.set_title(
        f"2. Tap pacing: {s['pages']} pages, bucket {s['bucket_size']:g}, drip {s['drip_rate']:g}/s"
    )
    ax.legend(fontsize=8, loc="lower right")

    ax = axes[1][0]
    t = results["target_pacing"]
    s2 = results["second_run"]
    vals = [t["utilisation"] * 100]
    bars = ax.bar(["write pacing\n(% of drip)"], vals, color="#2a7ab9")
    ax.text(0, vals[0] + 1, f"{vals[0]:.1f}%\n429s: {t['429s']['total']}", ha="center", fontsize=9)
    ax.axhline(95, ls="--", color="green", lw=1)
    ax.set_ylim(0, 120)
    ax.set_ylabel("%")
    ax2 = ax.twinx()
    ax2.bar(
        ["API requests,\nfirst run", "API requests,\nunchanged 2nd run"],
        [s2["first"]["api_requests"], s2["second"]["api_requests"]],
        color="#999999",
    )
    ax2.set_ylabel("requests")
    ax.set_title(f"3. Target: {t['writes']} writes; rerun of {s2['records']} records")

    ax = axes[1][1]
    mem = results["memory"]
    ax.plot(
        [r["records"] for r in mem["tap"]],
        [r["max_rss_mb"] for r in mem["tap"]],
        "o-",
        label="tap-lightspeed (customers)",
        color="#2a7ab9",
    )
    ax.plot(
        [r["records"] for r in mem["target"]],
        [r["max_rss_mb"] for r in mem["target"]],
        "s-",
        label="target-lightspeed (dry run)",
        color="#d9822b",
    )
    ax.axhline(150, ls="--", color="red", lw=1, label="tap limit 150 MB")
    ax.set_xscale("log")
    ax.set_ylim(0, max(160, max(r["max_rss_mb"] for r in mem["tap"] + mem["target"]) + 20))
    ax.set_xlabel("records")
    ax.set_ylabel("peak RSS (MB)")
    ax.set_title("4. Memory as volume grows")
    ax.legend(fontsize=8)

    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    parser.add_argument("--out", type=Path, default=HERE / "results.png")
    args = parser.parse_args()
    draw(json.loads(args.json.read_text()), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
