"""The benchmark suite runs at its smallest size and both sides agree (no timing asserts)."""

from __future__ import annotations

from benchmarks import run


def test_every_benchmark_runs_and_agrees(capsys):
    results = run.run_all(size="smoke", repeats=1)
    assert {"dijkstra_multi_source", "next_hop_tree", "travel_times",
            "resident_steps_vs_mesa", "evacuation_1m"} <= set(results)
    assert results["evacuation_1m"].skipped  # full size only
    for name, result in results.items():
        assert result.agree, name
        assert result.skipped or (result.ours_s > 0 and result.ref_s > 0), name
        assert name in run.format_line(name, result)
    assert run.main(["--size", "smoke", "--only", "dijkstra", "--repeats", "1"]) == 0
    assert "dijkstra_multi_source" in capsys.readouterr().out
