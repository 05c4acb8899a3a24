"""A gunicorn worker killed (`kill -9`: out of memory, a crash) in the middle of a quiz rush.

Threat: the killed worker's request is cut off mid-way. A member must never be told "submitted"
(the 302 to the review) for an attempt the database does not hold as finished with exactly the
answers sent; the browser's retry of a cut request must not start a second attempt; the module
must be completed once for those who passed; and gunicorn must replace the worker.

Forty members start, save and submit at once through a pool of clients; after the first
acknowledgements the test SIGKILLs a worker that is serving a request right then (read off
/proc: the worker owning an established connection of the server's port), and again, at most
twice more, if no client saw its request fail. A failed request (reset, 5xx) is retried like a
browser resubmitting the same form: the start form names the attempt number the page offered,
so a retried start resumes rather than starting another attempt.
"""

import os
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bench import harness
from courses.models import Progress
from learning.accounts.models import User
from learning.extensions import db
from quizzes.models import Attempt, AttemptSlot, Quiz
from tests.faults import support

MEMBERS = 40
CLIENTS = 12  # more than the workers: every worker always has a request, more wait in line
WORKERS = 3
TRIES = 5  # a browser's patience: the first try and four retries
FIRST_BATCH = 12  # acknowledged requests before the kill: the burst is well under way
ATTEMPT = re.compile(r"/attempts/(\d+)$")


@dataclass
class Member:
    """One member's browser and what the server acknowledged to it."""

    name: str
    browser: support.Browser
    token: str
    answers: dict[int, str]
    attempt_id: int | None = None
    submitted: bool = False

    @property
    def passes(self) -> bool:
        right = sum(option == "o1" for option in self.answers.values())
        return right * 100 / harness.QUIZ_QUESTIONS >= 60  # the harness quiz's pass mark


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    acknowledged: int = 0
    failures: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    first_batch: threading.Event = field(default_factory=threading.Event)

    def ack(self) -> None:
        with self.lock:
            self.acknowledged += 1
            if self.acknowledged >= FIRST_BATCH:
                self.first_batch.set()

    def fail(self, what: str, bucket: list[str]) -> None:
        with self.lock:
            bucket.append(what)


def answers_for(index: int) -> dict[int, str]:
    """Every fourth member answers 4 of 10 right (fails), the others all 10 (passes)."""
    right = 4 if index % 4 == 0 else harness.QUIZ_QUESTIONS
    return {n: "o1" if n <= right else "o2" for n in range(1, harness.QUIZ_QUESTIONS + 1)}


def send(member: Member, tally: Tally, path: str, form: list, accepted) -> support.Reply | None:
    """POST like a browser: on no answer or a 5xx, send the same form again (a bounded number
    of times). Returns the accepted reply, or None."""
    for attempt in range(TRIES):
        try:
            reply = member.browser.post(path, form)
        except support.FAILURES as error:
            tally.fail(f"{member.name} {path}: {error!r}", tally.failures)
        else:
            if reply.status < 500:
                if accepted(reply):
                    tally.ack()
                    return reply
                tally.fail(f"{member.name} {path}: {reply.status} {reply.location}",
                           tally.unexpected)
                return None
            tally.fail(f"{member.name} {path}: {reply.status}", tally.failures)
        time.sleep(0.2 * (attempt + 1))
    return None


def take_quiz(member: Member, quiz_id: int, tally: Tally) -> None:
    """Start (attempt 1, as the quiz page's form says), save the answers, submit."""
    token = [("csrf_token", member.token)]
    reply = send(member, tally, f"/quizzes/{quiz_id}/start", [*token, ("number", "1")],
                 lambda r: r.status == 302 and ATTEMPT.search(r.location))
    if reply is None:
        return
    member.attempt_id = attempt = int(ATTEMPT.search(reply.location).group(1))
    form = [*token]
    for slot, option in member.answers.items():
        form += [("slots", str(slot)), (f"q{slot}", option)]
    if send(member, tally, f"/attempts/{attempt}/autosave", form,
            lambda r: r.status == 200 and r.json().get("saved") == len(member.answers)) is None:
        return
    member.submitted = send(
        member, tally, f"/attempts/{attempt}/submit", token,
        lambda r: r.status == 302 and r.location.endswith(f"/attempts/{attempt}/review"),
    ) is not None


def kill_a_busy_worker(server: harness.Gunicorn, tally: Tally, log) -> list[int]:
    """SIGKILL a worker while it serves a request; once more (at most twice) if no client saw a
    request fail, i.e. the kill fell between two requests."""
    killed: list[int] = []
    busy: list[int] = []

    def found() -> bool:
        busy[:] = support.serving_workers(server)
        return bool(busy)

    for _ in range(3):
        failures = len(tally.failures)
        assert support.wait_until(found, timeout=10, step=0.002), (
            f"no worker was serving a request: the burst ended too soon; see {log}")
        os.kill(busy[0], signal.SIGKILL)
        killed.append(busy[0])
        if support.wait_until(lambda f=failures: len(tally.failures) > f, timeout=3):
            break
    return killed


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_server(request) -> str | None:
    """SQLite (no server) or the suite's PostgreSQL server."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_server")


def test_acknowledged_submits_survive_a_killed_worker(engine_server, tmp_path):
    log = tmp_path / "gunicorn.log"
    with support.seeded_site(tmp_path, engine_server, members=80, modules=3) as site:
        names = site.members[:MEMBERS]
        logins = harness.sessions(site.app, names)
        with site.app.app_context():
            ids = dict(db.session.execute(
                select(User.username, User.id).where(User.username.in_(names))).all())
            module_id = db.session.get(Quiz, site.quiz_id).module_id
            done_before = set(db.session.scalars(select(Progress.user_id).where(
                Progress.module_id == module_id, Progress.completed_at.is_not(None))))

        began = time.monotonic()
        with support.serving(site, tmp_path, log, workers=WORKERS) as server:
            booted = time.monotonic()
            first_workers = server.worker_pids()
            members = [Member(name, support.Browser(server.base, logins[name][0]),
                              logins[name][1], answers_for(index))
                       for index, name in enumerate(names)]
            tally = Tally()
            with ThreadPoolExecutor(CLIENTS) as pool:
                runs = [pool.submit(take_quiz, m, site.quiz_id, tally) for m in members]
                assert tally.first_batch.wait(30), f"the burst did not get going; see {log}"
                killed = kill_a_busy_worker(server, tally, log)
                for run in runs:
                    run.result(timeout=60)
            burst = time.monotonic() - booted
            story = (f"gunicorn booted in {booted - began:.1f} s, burst {burst:.1f} s; "
                     f"killed {killed} of {first_workers}; {len(tally.failures)} failed "
                     f"requests {tally.failures[:5]}; unexpected {tally.unexpected[:5]}; "
                     f"gunicorn log {log}")
            print(story)  # shown with -rP / -s: what the kill did this time

            # gunicorn replaced the killed worker, and the server answers.
            assert support.wait_until(
                lambda: len(workers := server.worker_pids()) == WORKERS
                and not set(killed) & set(workers), timeout=30), (
                f"workers now {server.worker_pids()}; {story}")
            assert support.wait_until(lambda: support.healthy(server.base), timeout=30), story

        assert tally.failures, f"no request was cut by the kill; {story}"
        assert not tally.unexpected, story
        # With the retries, every member got through: nothing was lost for good.
        assert all(m.submitted for m in members), (
            f"not acknowledged: {[m.name for m in members if not m.submitted]}; {story}")

        with site.app.app_context():
            for member in members:
                user_id = ids[member.name]
                attempts = db.session.scalars(select(Attempt).where(
                    Attempt.quiz_id == site.quiz_id, Attempt.user_id == user_id)).all()
                # One attempt per start the member made: retries resumed, never duplicated.
                assert [(a.id, a.number) for a in attempts] == [(member.attempt_id, 1)], (
                    f"{member.name}: {[(a.id, a.number, a.state) for a in attempts]}; {story}")
                attempt = attempts[0]
                assert attempt.state == "finished", f"{member.name}: {attempt.state}; {story}"
                saved = dict(db.session.execute(
                    select(AttemptSlot.position, AttemptSlot.response)
                    .where(AttemptSlot.attempt_id == attempt.id)).all())
                assert saved == {n: {"option": o} for n, o in member.answers.items()}, (
                    f"{member.name}: stored {saved}; {story}")
                assert attempt.passed == member.passes, f"{member.name}; {story}"
                progress = db.session.scalars(select(Progress).where(
                    Progress.user_id == user_id, Progress.module_id == module_id)).all()
                if member.passes:
                    assert len(progress) == 1 and progress[0].completed_at is not None, (
                        f"{member.name} passed but the module is not completed once; {story}")
                elif user_id not in done_before:
                    assert all(p.completed_at is None for p in progress), (
                        f"{member.name} failed but the module was completed; {story}")
