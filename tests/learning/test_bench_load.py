"""bench/load.py's pure parts: scenarios taking turns in rounds, rounds combined into one run,
and each ratio divided by the right baseline (the load itself runs in `make bench`)."""

from types import SimpleNamespace

import pytest

from bench import load


def run(requests, seconds=5.0, p50=10.0, p99=50.0, errors=0):
    return {"requests": requests, "seconds": seconds, "p50_ms": p50, "p99_ms": p99,
            "socket_errors": errors, "status_errors": 0, "unexpected": 0, "errors": errors,
            "rps": requests / seconds}


def test_rounds_take_turns_and_go_on_with_the_next_people(monkeypatch):
    calls = []

    def fake_wrk(base, script, path, seconds, connections, threads, start):
        calls.append((path, seconds, int(start)))
        return run(100 if path == "a.tsv" else 40)

    monkeypatch.setattr(load, "wrk", fake_wrk)
    args = SimpleNamespace(duration=15, rounds=3, connections=10)
    done = {"a": 0, "b": 7}
    results = load.interleaved(("http://x", "pages.lua"), {"a": "a.tsv", "b": "b.tsv"},
                               ["a", "b"], args, done)
    assert calls == [("a.tsv", 5, 0), ("b.tsv", 5, 7), ("a.tsv", 5, 100), ("b.tsv", 5, 47),
                     ("a.tsv", 5, 200), ("b.tsv", 5, 87)]
    assert done == {"a": 300, "b": 127}
    assert results["a"]["rps"] == pytest.approx(20.0) and results["b"]["requests"] == 120


def test_rounds_combine_into_one_run():
    rounds = [run(100, p50=10, p99=40), run(300, p50=30, p99=90, errors=2),
              run(200, p50=20, p99=60)]
    total = load.combined(rounds)
    assert (total["requests"], total["seconds"], total["errors"]) == (600, 15.0, 2)
    assert total["rps"] == pytest.approx(40.0)
    assert (total["p50_ms"], total["p99_ms"]) == (20, 90)  # median p50, worst p99


def quiz(rps, p99=100.0, lost=0):
    return run(int(rps * 10), seconds=10.0, p99=p99) | {"submitted": 10, "stored": 10,
                                                         "lost": lost}


def verdicts(results, capsys) -> tuple[int, dict[str, str]]:
    meta = {"workers": 5, "engine": "sqlite", "members": 10, "duration": 15, "rounds": 3,
            "connections": 10}
    with pytest.raises(SystemExit) as stopped:
        load.report(results | {"_meta": meta}, SimpleNamespace(json=None))
    lines = {line.split("  ")[0].strip(): line for line in capsys.readouterr().out.splitlines()}
    return stopped.value.code, lines


def test_each_ratio_divides_by_its_own_baseline(capsys):
    results = {
        "baseline": run(500, seconds=1), "thread page": run(200, seconds=1),
        "aggregate baseline": run(300, seconds=1), "leader report": run(160, seconds=1),
        "quiz flow": quiz(160),
        f"aggregate baseline{load.AFTER_QUIZ}": run(200, seconds=1),
        f"leader report{load.AFTER_QUIZ}": run(90, seconds=1),
    }
    code, lines = verdicts(results, capsys)
    assert code == 1  # the report after the quiz: 90 / 200 = 0.45
    assert "0.40  PASS" in lines["thread page"]
    assert "0.53  PASS" in lines["leader report"]
    assert "0.45  FAIL" in lines[f"leader report{load.AFTER_QUIZ}"]
    assert "PASS" in lines["quiz flow"]

    results[f"leader report{load.AFTER_QUIZ}"] = run(120, seconds=1)
    assert verdicts(results, capsys)[0] == 0


@pytest.mark.parametrize("bad", [quiz(149), quiz(200, p99=250.0), quiz(200, lost=1)])
def test_the_quiz_flow_needs_rate_latency_and_nothing_lost(capsys, bad):
    code, lines = verdicts({"baseline": run(500, seconds=1), "quiz flow": bad}, capsys)
    assert code == 1 and "FAIL" in lines["quiz flow"]
