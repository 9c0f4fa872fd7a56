"""bench/bench_pacing.py run_measured: the resource usage of the measured program, its own only."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from bench_pacing import run_measured  # noqa: E402

PYTHON = sys.executable


def own_peak_mb() -> float:
    """This (the benchmark's) process's high-water RSS."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_small_program_reads_its_own_peak_not_the_benchmarks():
    ballast = b"\x01" * (300 << 20)  # written, so resident: the parent's peak is > 300 MB
    assert own_peak_mb() > 300
    figures = run_measured([PYTHON, "-c", "pass"])
    del ballast
    assert figures["returncode"] == 0
    # An interpreter that does nothing holds about 10 MB; the parent's peak must not show.
    assert figures["max_rss_mb"] < 40, figures
    assert figures["floor_rss_mb"] <= figures["max_rss_mb"]
    assert figures["floor_rss_mb"] < 20


def test_a_program_that_allocates_reads_what_it_allocated():
    figures = run_measured([PYTHON, "-c", "block = b'x' * (150 << 20)"])
    assert figures["returncode"] == 0
    assert 150 < figures["max_rss_mb"] < 200, figures


def test_cpu_wall_time_stdin_and_exit_status_are_the_programs(tmp_path):
    busy = (
        "import sys, time\n"
        "start = time.process_time()\n"
        "while time.process_time() - start < 0.3:\n"
        "    pass\n"
        "sys.exit(len(sys.stdin.read()))\n"
    )
    (tmp_path / "input").write_text("seven..")
    with open(tmp_path / "input", "rb") as stdin:
        figures = run_measured([PYTHON, "-c", busy], stdin)
    assert figures["returncode"] == 7
    assert figures["cpu_s"] >= 0.3
    assert figures["wall_s"] >= 0.3


def test_a_program_found_on_path_and_its_environment(tmp_path):
    env = {"PATH": str(Path(PYTHON).parent), "ANSWER": "5"}
    program = Path(PYTHON).name
    figures = run_measured(
        [program, "-c", "import os, sys; sys.exit(int(os.environ['ANSWER']))"], env=env
    )
    assert figures["returncode"] == 5


def test_a_program_that_cannot_start_raises():
    with pytest.raises(RuntimeError, match="could not run /nonexistent/program"):
        run_measured(["/nonexistent/program"])
