"""bench/report.py: figures and verdicts computed from results.json, and RESULTS.md kept current."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def load_report() -> Any:
    spec = importlib.util.spec_from_file_location("bench_report", BENCH / "report.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


report = load_report()


def raw_run(
    *,
    efficiency: float = 0.97,
    tap_429s: int = 0,
    ratio_inputs: tuple[float, float] = (40.0, 50.0),
    rss: tuple[float, float] = (60.0, 61.0),
) -> dict[str, Any]:
    """One run's raw figures, shaped as run_all.py writes them (only what the page reads)."""
    tap_us, plain_us = ratio_inputs
    return {
        "tap_cpu": {"records": 30000, "plain_us": 90.0, "tap_us": 55.0, "ratio": 0.61},
        "pacing": {
            "settings": {"pages": 100, "bucket_size": 90, "drip_rate": 20, "burst": 20},
            "tap": {
                "cost": 1.2,
                "span_s": 2.0,
                "theoretical_span_s": 1.5,
                "efficiency_bucket": efficiency,
                "efficiency_exact": efficiency,
                "429s": tap_429s,
                "ok": True,
            },
        },
        "target_pacing": {
            "writes": 100,
            "writes_per_s": 8.0,
            "bucket": {"size": 90.0, "drip_per_s": 20.0, "burst": 20},
            "utilisation": 0.99,
            "429s": {"total": 0},
        },
        "second_run": {
            "records": 100,
            "first": {"api_requests": 108, "writes": 100},
            "second": {"api_requests": 0, "writes": 0},
        },
        "memory": {
            "tap": [
                {"records": 20000, "max_rss_mb": rss[0], "cpu_us": tap_us, "wall_s": 2.0},
                {"records": 50000, "max_rss_mb": rss[1], "cpu_us": tap_us, "wall_s": 4.0},
            ],
            "plain": [
                {"records": 20000, "max_rss_mb": 66.0, "cpu_us": plain_us, "wall_s": 1.0},
                {"records": 50000, "max_rss_mb": 66.0, "cpu_us": plain_us, "wall_s": 2.0},
            ],
            "target": [],
        },
    }


def results_of(runs: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "format": report.FORMAT,
        "command": "python bench/run_all.py --repeat 3",
        "quick": False,
        "repeat": len(runs),
        "machine": {
            "nproc": 2,
            "cpu": "Test CPU",
            "ram_gb": 8.0,
            "kernel": "6.0",
            "python": "3.11.7",
            "singer_sdk": "0.54.9",
            "load_start": [0.5, 0.4, 0.3],
            "load_end": [0.7, 0.5, 0.3],
        },
        "total_s": 100,
        "figures": report.summarise(runs),
        "runs": runs,
        **extra,
    }


def target_row(page: str, claim: str) -> str:
    rows = [line for line in page.splitlines() if line.startswith(f"| {claim} |")]
    assert len(rows) == 1, f"{claim!r}: {rows}"
    return rows[0]


def test_summary_keeps_every_value_with_median_and_spread():
    runs = [raw_run(efficiency=e) for e in (0.96, 0.99, 0.97)]
    entry = report.summarise(runs)["pacing.tap.efficiency_bucket"]
    assert entry == {"values": [0.96, 0.99, 0.97], "median": 0.97, "min": 0.96, "max": 0.99}


def test_derived_ratio_is_taken_per_run_not_from_medians():
    runs = [raw_run(ratio_inputs=(40.0, 50.0)), raw_run(ratio_inputs=(60.0, 50.0))]
    entry = report.summarise(runs)["memory.cpu_ratio.20000"]
    assert entry["values"] == [0.8, 1.2]
    growth = report.summarise([raw_run(rss=(60.0, 90.0))])["memory.tap.rss_growth"]
    assert growth["values"] == [1.5]


def test_whole_spread_passing_is_met():
    page = report.render(results_of([raw_run(efficiency=e) for e in (0.95, 0.97, 0.99)]))
    row = target_row(page, "Tap pacing ≥ 95% of the bucket's maximum")
    assert row.endswith("| 97.0% (95.0..99.0) | **Met** |")


def test_part_of_the_spread_passing_is_mixed_not_met():
    page = report.render(results_of([raw_run(efficiency=e) for e in (0.94, 0.97, 0.99)]))
    row = target_row(page, "Tap pacing ≥ 95% of the bucket's maximum")
    assert row.endswith("| 97.0% (94.0..99.0) | **Not met** (mixed: 2 of 3 runs) |")
    assert "**Met**" not in row


def test_no_run_passing_is_not_met():
    runs = [raw_run(tap_429s=n) for n in (1, 3)]
    page = report.render(results_of(runs))
    assert target_row(page, "Tap: 0 429s").endswith("| 2 (1..3) | **Not met** |")


def test_cpu_claim_per_volume_from_the_per_run_ratio():
    runs = [raw_run(ratio_inputs=(45.0, 50.0)), raw_run(ratio_inputs=(51.0, 50.0))]
    page = report.render(results_of(runs))
    claim = "Tap CPU per record ≤ the default SDK's (from the sandbox, 20,000 customers)"
    assert target_row(page, claim).endswith("**Not met** (mixed: 1 of 2 runs) |")


def test_a_run_lacking_a_figure_does_not_pass():
    second = raw_run()
    del second["pacing"]["tap"]["efficiency_bucket"]
    results = results_of([raw_run(), second])
    entry = results["figures"]["pacing.tap.efficiency_bucket"]
    assert entry["values"] == [0.97, None]
    assert report.verdict(entry, ">=", 0.95) == ("mixed", 1, 2)
    row = target_row(report.render(results), "Tap pacing ≥ 95% of the bucket's maximum")
    assert "missing in 1 runs" in row


def test_benchmarks_not_run_are_not_measured():
    run = raw_run()
    del run["target_pacing"]
    page = report.render(results_of([run]))
    assert target_row(page, "Target pacing ≥ 95% of the drip").endswith(
        "| not measured | not measured |"
    )
    assert "Target pacing, " not in page


def test_page_names_its_generator_command_and_machine():
    runs = [{**raw_run(), "seconds": {"tap_cpu": t, "memory": 100.0}} for t in (10.0, 30.0)]
    page = report.render(results_of(runs, quick=True, note="converted"))
    head = page.split("![benchmarks]")[0]
    assert "Generated by `.venv/bin/python bench/report.py`" in head
    assert "do not edit by hand" in head
    assert "`python bench/run_all.py --repeat 3`" in head
    assert "**Quick volumes**" in head
    assert "**Note**: converted" in head
    assert "2 x Test CPU" in head
    assert "0.50 at the start, 0.70 at the end" in head
    assert "**Time per run**: 120 s (tap_cpu 20 s (10..30), memory 100 s)." in head


def test_committed_results_md_is_what_the_generator_makes():
    results = json.loads((BENCH / "results.json").read_text(encoding="utf-8"))
    assert results["figures"] == report.summarise(results["runs"]), "figures out of date"
    assert results["repeat"] == len(results["runs"])
    committed = (BENCH / "RESULTS.md").read_text(encoding="utf-8")
    assert committed == report.render(results), (
        "bench/RESULTS.md is stale: run .venv/bin/python bench/report.py"
    )


@pytest.mark.parametrize("edit", [False, True])
def test_check_flag_fails_on_a_hand_edited_page(tmp_path, edit):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(results_of([raw_run()])), encoding="utf-8")
    page = tmp_path / "RESULTS.md"
    args = [sys.executable, str(BENCH / "report.py"), "--json", str(results), "--md", str(page)]
    subprocess.run([*args, "--no-chart"], check=True, capture_output=True)
    if edit:
        page.write_text(page.read_text(encoding="utf-8").replace("**Met**", "**met**", 1))
    check = subprocess.run([*args, "--check"], capture_output=True, text=True, check=False)
    assert check.returncode == (1 if edit else 0), check.stdout + check.stderr


def test_sale_lines_cpu_row_and_claim():
    run = {
        **raw_run(),
        "sale_lines_cpu": {
            "sales": 10000,
            "rows": 20000,
            "sales_us": 200.0,
            "lines_us": 90.0,
            "both_us": 95.0,
            "ratio": 0.45,
        },
    }
    page = report.render(results_of([run]))
    claim = "sale_lines CPU per row ≤ sales' per record (sales deselected)"
    assert target_row(page, claim).endswith("| 0.45 | **Met** |")
    assert "sale_lines alone 90.0 us, sales alone 200.0 us, both 95.0 us" in page
    slower = {**run, "sale_lines_cpu": {**run["sale_lines_cpu"], "ratio": 1.2}}
    assert target_row(report.render(results_of([slower])), claim).endswith("**Not met** |")
    assert "Tap CPU/record of the derived" not in report.render(results_of([raw_run()]))


def test_an_older_format_voids_the_verdicts_it_did_not_measure():
    runs = [raw_run(rss=(60.0, 61.0))]
    current = report.render(results_of(runs))
    assert "**Outdated**" not in current
    claim = "Tap memory flat: peak RSS at 50,000 at most 10% above 20,000 (customers)"
    assert target_row(current, claim).endswith("| **Met** |")
    old = report.render(results_of(runs, format=2))
    assert "**Outdated**: these figures were measured by an older version" in old
    assert "the benchmark's own peak" in old
    assert target_row(old, claim).endswith("| void (outdated figure, see above) |")
    # Figures format 2 measured right keep their verdicts.
    assert target_row(old, "Tap: 0 429s").endswith("| **Met** |")


def test_full_sync_floor_per_query_and_target_requests_per_record_are_shown():
    run = raw_run()
    run["full_sync"] = {
        "settings": {"customers": 1005, "items": 603, "sales": 801, "drip_rate": 20},
        "endpoints": {
            "CreditAccount": {"passes": {"list": 6, "giftCard=true": 5}, "floor_requests": 2},
            "Customer": {"passes": {"list": 1005}, "floor_requests": 11},
        },
        "requests": 13,
        "floor_requests": 13,
        "units": 20.0,
        "floor_units": 20.0,
        "extra_requests": 0,
        "extra_units": 0.0,
        "all_429s": 0,
        "ok": True,
    }
    run["memory"]["target"] = [
        {
            "records": 5000,
            "max_rss_mb": 55.0,
            "cpu_us": 1500.0,
            "wall_s": 9.0,
            "requests_per_record": 0.84,
        }
    ]
    page = report.render(results_of([run]))
    assert "CreditAccount floor in 2 queries (list 6 records, giftCard=true 5 records)" in page
    assert "Customer floor in" not in page
    claim = "Full sync: requests = the floor (one per 100 records of each query an endpoint needs)"
    assert target_row(page, claim).endswith("| 0 | **Met** |")
    assert "1,500.0 us CPU/record, 0.84 API requests/record, 9 s" in page
