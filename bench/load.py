"""Load the real server over loopback and compare each scenario with a baseline of the same run.

    .venv/bin/python bench/load.py [--database-url postgresql://postgres@127.0.0.1/postgres]
        [--members 2000] [--modules 10] [--duration 15] [--rounds 3] [--workers N]
        [--only pages|quiz] [--json FILE]

One command: seeds a database of its own (SQLite in a temporary folder, or a database of its
own on the PostgreSQL server, dropped at the end), starts gunicorn with gunicorn.conf.py on a
free 127.0.0.1 port (`bench.baseline:create()`: the production app plus the two baseline routes),
loads it with wrk and prints, per scenario, requests per second, p50, p99, errors and the ratio
to the baseline measured on the same server in the same run:

* baseline: the base template and one primary-key query (every page costs at least that);
* module page, 我的学习, thread page: GETs as many different members (one signed session each);
* quiz flow: start, save answers, submit, member after member (each submit is a new attempt);
* leader report: the open period's report at each 团支部 (branch), as that branch's leader,
  against the aggregate baseline (one aggregate query over the same unit's roster); measured
  again after the quiz flow, when most members have a quiz score to show.

The pages take turns with their baseline in rounds (baseline, module page, 我的学习, thread
page, baseline, ...), and so do the report and its aggregate baseline, so that the machine
speeding up or slowing down during the run (two shared cores) moves a scenario and its
baseline alike.

Targets (issue 7, a 2-core machine): pages at least 0.35x the baseline; the quiz flow at
150 req/s or more with p99 under 250 ms and no errors; the report at least 0.5x its baseline.
After the quiz flow it checks that every submit wrk saw acknowledged is a finished attempt.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import redis
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness
from learning.extensions import db
from quizzes.models import Attempt

WRK = Path(__file__).with_name("wrk")
PAGE_TARGET, QUIZ_RPS, QUIZ_P99_MS, REPORT_TARGET = 0.35, 150, 250, 0.5
AFTER_QUIZ = " (after the quiz)"


def wrk(base: str, script: str, targets: Path, duration: int, connections: int,
        threads: int, *extra: str) -> dict:
    """One wrk run; the JSON line its Lua `done()` prints, as a dict."""
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
         "--timeout", "10s", "-s", str(WRK / script), base, "--", str(targets), str(threads),
         *extra], capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK-RESULT "))
    result = json.loads(line.removeprefix("WRK-RESULT "))
    result["rps"] = result["requests"] / result["seconds"]
    result["errors"] = result["socket_errors"] + result["status_errors"] + result["unexpected"]
    return result


def write_targets(path: Path, rows: list[tuple[str, ...]]) -> Path:
    path.write_text("".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return None
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server; default: SQLite in a temp dir")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--modules", type=int, default=10)
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds the page and report scenarios take turns in")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config)")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--only", choices=["pages", "quiz"],
                        help="only the page scenarios, or only the quiz flow (and baseline)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (Debian's package)")
    with tempfile.TemporaryDirectory() as folder, \
            harness.own_database(folder, args.database_url) as url:
        secret = uuid.uuid4().hex * 2
        site = harness.build(url, folder, secret, args.members, args.modules)
        print(f"engine {site.app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}; "
              f"{args.members} members, {args.modules} modules; quiz {site.quiz_id}, "
              f"thread {site.thread_id}")
        try:
            results = run(site, args, Path(folder), secret)
        finally:
            site.dispose()
    report(results, args)


def run(site: harness.Site, args, folder: Path, secret: str) -> dict:
    rng = random.Random(7)
    leaders = sorted(site.branch_leaders)
    logins = harness.sessions(site.app, site.members + leaders)
    members = [logins[name][0] for name in site.members]
    files = {
        "baseline": [(f"/_bench/baseline/{site.module_id}", c) for c in members],
        "module page": [(f"/study/modules/{site.module_id}", c) for c in members],
        "我的学习": [("/study/", c) for c in members],
        "thread page": [(f"/threads/{site.thread_id}", c) for c in members],
        "aggregate baseline": [
            (f"/_bench/aggregate/{site.assignment_id}/{site.branch_leaders[n]}", logins[n][0])
            for n in leaders],
        "leader report": [
            (f"/reports/assignments/{site.assignment_id}/units/{site.branch_leaders[n]}",
             logins[n][0]) for n in leaders],
    }
    paths = {name: write_targets(folder / f"{index}.tsv", rows)
             for index, (name, rows) in enumerate(files.items())}
    answers = ["&".join(f"slots={n}&q{n}=o{rng.choice((1, 1, 1, 2))}"
                        for n in range(1, harness.QUIZ_QUESTIONS + 1)) for _ in members]
    paths["quiz flow"] = write_targets(folder / "quiz.tsv", [
        (cookie, logins[name][1], answer)
        for name, cookie, answer in zip(site.members, members, answers, strict=True)])

    env = {"DATABASE_URL": site.url, "SECRET_KEY": secret, "UPLOAD_DIR": str(folder)}
    if url := redis_url():
        env |= {"REDIS_URL": url, "RATELIMIT_KEY_PREFIX": f"studyhall-bench-{uuid.uuid4().hex}"}
    log = folder / "gunicorn.log"
    results: dict = {}
    with harness.Gunicorn(env, log, workers=args.workers, app="bench.baseline:create()") as server:
        workers = len(server.wait_workers(args.workers or 2 * os.cpu_count() + 1))
        print(f"gunicorn: {workers} sync workers on {server.base}; "
              f"Redis: {bool(env.get('REDIS_URL'))}")
        get = (server.base, "pages.lua")
        pages = ["baseline", "module page", "我的学习", "thread page"]
        reports = ["aggregate baseline", "leader report"]
        if args.only == "quiz":
            pages, reports = ["baseline"], []
        for name in pages + reports:  # warm every worker's caches and connections
            wrk(*get, paths[name], 2, args.connections, 2)
        done = dict.fromkeys(paths, 0)  # requests so far: the next round starts with new people
        results |= interleaved(get, paths, pages, args, done)
        results |= interleaved(get, paths, reports, args, done)
        if args.only == "pages":
            return results | {"_meta": meta(workers, site, args)}
        with site.app.app_context():
            before = db.session.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.state == "finished"))
        quiz = wrk(server.base, "quiz.lua", paths["quiz flow"], args.duration,
                   args.connections, args.connections, str(site.quiz_id))
        with site.app.app_context():
            after = db.session.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.state == "finished"))
        # A submit in flight when wrk stops is stored but not counted as acknowledged.
        quiz["stored"] = after - before
        quiz["lost"] = max(0, quiz["submitted"] - quiz["stored"])
        results["quiz flow"] = quiz
        print(f"  quiz flow: {quiz['rps']:.0f} req/s", flush=True)
        # The report again, now that most members have taken the quiz: its member rows show
        # each one's best score, which must not cost a pass over every attempt.
        results |= {f"{name}{AFTER_QUIZ}": result for name, result in
                    interleaved(get, paths, reports, args, done).items()}
    return results | {"_meta": meta(workers, site, args)}


def interleaved(get: tuple, paths: dict, names: list[str], args, done: dict) -> dict:
    """Each scenario of `names` for args.duration seconds in all, in args.rounds rounds that
    take turns (a, b, c, a, b, c ...), so a slower or faster moment of the machine falls on all
    of them alike and the ratios to the first (the baseline) hold. Each round goes on with the
    people after the last round's (pages that write on a first visit keep writing)."""
    runs: dict[str, list[dict]] = {name: [] for name in names}
    seconds = max(1, round(args.duration / args.rounds))
    for _ in range(args.rounds if names else 0):
        for name in names:
            result = wrk(*get, paths[name], seconds, args.connections, 2, str(done[name]))
            done[name] += result["requests"]
            runs[name].append(result)
    results = {name: combined(rounds) for name, rounds in runs.items()}
    for name, result in results.items():
        print(f"  {name}: {result['rps']:.0f} req/s", flush=True)
    return results


def combined(rounds: list[dict]) -> dict:
    """One scenario's rounds as one run: requests and errors added up, the median p50 and
    the worst p99 of the rounds."""
    total = {key: sum(r[key] for r in rounds) for key in
             ("requests", "seconds", "socket_errors", "status_errors", "unexpected", "errors")}
    total["rps"] = total["requests"] / total["seconds"]
    total["p50_ms"] = sorted(r["p50_ms"] for r in rounds)[len(rounds) // 2]
    total["p99_ms"] = max(r["p99_ms"] for r in rounds)
    return total


def meta(workers: int, site: harness.Site, args) -> dict:
    return {"workers": workers, "engine": site.url.split(":")[0], "members": args.members,
            "duration": args.duration, "rounds": args.rounds, "connections": args.connections}


def report(results: dict, args) -> None:
    meta = results.pop("_meta")
    base = results["baseline"]["rps"]
    print(f"\n{meta['engine']}, {meta['workers']} workers, {meta['connections']} connections, "
          f"{meta['duration']} s each, pages and reports in {meta['rounds']} rounds taking turns "
          "with their baseline")
    print(f"{'scenario':<36}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}"
          "  target")
    verdicts = []
    for name, result in results.items():
        divisor, target = base, None
        # The report after the quiz flow divides by the aggregate measured after it too.
        after = AFTER_QUIZ if name.endswith(AFTER_QUIZ) else ""
        agg = results.get(f"aggregate baseline{after}", {}).get("rps")
        if name in ("module page", "我的学习", "thread page"):
            target = f">= {PAGE_TARGET}x baseline"
            ok = result["rps"] / base >= PAGE_TARGET
        elif name.startswith("leader report"):
            divisor, target = agg, f">= {REPORT_TARGET}x aggregate"
            ok = result["rps"] / agg >= REPORT_TARGET
        elif name == "quiz flow":
            target = f">= {QUIZ_RPS} req/s, p99 < {QUIZ_P99_MS} ms, 0 errors"
            ok = (result["rps"] >= QUIZ_RPS and result["p99_ms"] < QUIZ_P99_MS
                  and result["errors"] == 0 and result["lost"] == 0)
        if name.startswith("aggregate baseline"):
            divisor = agg
        ratio = result["rps"] / divisor
        verdict = "" if target is None else f"{'PASS' if ok else 'FAIL'} {target}"
        if target is not None:
            verdicts.append(ok)
        # A wide name (Chinese) takes two columns a character.
        pad = 36 - sum(2 if ord(c) > 0x2E80 else 1 for c in name)
        print(f"{name}{' ' * pad}{result['rps']:9.0f}{result['p50_ms']:9.1f}"
              f"{result['p99_ms']:9.1f}{result['errors']:8d}{ratio:8.2f}  {verdict}")
    if quiz := results.get("quiz flow"):
        print(f"quiz flow: {quiz['submitted']} submits acknowledged, {quiz['stored']} attempts "
              f"finished in the database (at most {meta['connections']} more: in flight at the "
              f"end), {quiz['lost']} lost")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2,
                                              ensure_ascii=False), encoding="utf-8")
    sys.exit(0 if all(verdicts) else 1)


if __name__ == "__main__":
    main()
