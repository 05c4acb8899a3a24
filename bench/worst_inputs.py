"""The slowest legal inputs, timed against the 2-second line (issue 16, item 6).

    .venv/bin/python bench/worst_inputs.py [--runs 3]

Seeds a small site (SQLite in a temporary folder), then times, each the best of `--runs`:
- module bodies: render_markdown of the worst shapes that the caps still accept (characters,
  lines and marks: learning/markup.py's too_dense; blocks of at most MAX_BLOCK_LINES lines),
  and of the 11.7 s input of the probe (now shown literally: forms refuse it);
- a GIFT dry run through the API at the cap (MAX_QUESTIONS questions), and of files just over
  it and of 250,000 questions (refused with one message: reading stops at the first one over);
- a post edit through the API: 10,000 characters of the worst Markdown shape, on a post whose
  history is full (DISCUSSION_REVISIONS_KEPT).
A line over 2 s is marked OVER. Wall time is what a user waits; CPU time is printed beside it
because on a shared machine the wall time includes other people's work. Not a test: timings
belong in a bench, never in an assertion.
"""

import argparse
import io
import secrets
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness
from learning.extensions import db
from learning.markup import MAX_BLOCK_LINES, MAX_SOURCE_CHARS, render_markdown, too_dense
from quizzes.formats.questions import MAX_QUESTIONS

LINE = 2.0  # seconds


def at_caps(text: str) -> str:
    """The longest prefix of `text` that the caps still accept (characters, lines, marks)."""
    low, high = 0, min(len(text), MAX_SOURCE_CHARS)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if not too_dense(text[:middle]) else (low, middle - 1)
    return text[:low]


def blocks_of(unit: str, chars: int = MAX_SOURCE_CHARS) -> str:
    """`unit` repeated in blocks of MAX_BLOCK_LINES lines, blank lines between, within the caps."""
    block = unit * (MAX_BLOCK_LINES // unit.count("\n"))
    text = (block + "\n") * (chars // (len(block) + 1) + 1)
    return at_caps(text[:chars])


BODIES = {
    "body: setext headings": blocks_of("a\n=\n"),
    "body: ATX headings": blocks_of("a\n# b\n"),
    "body: rules": blocks_of("a\n***\n"),
    "body: table rows": blocks_of("|a|b|\n|-|-|\n"),
    "body: paragraphs": at_caps("a\n\n" * (MAX_SOURCE_CHARS // 3)),
    "body: emphasis": at_caps("*a* " * (MAX_SOURCE_CHARS // 4)),
    "body: links": at_caps("[a](b) " * (MAX_SOURCE_CHARS // 7)),
    "body: list items": blocks_of("- a\n"),
    "body: the probe's input": "a\n=\n" * (MAX_SOURCE_CHARS // 4),
}


def gift(count: int) -> bytes:
    """`count` four-option questions, each about as long as a real one."""
    return "\n\n".join(
        f"::题{n}:: 第{n}题：下列关于主题教育的说法，哪一项是正确的？"
        f"{{=正确的说法{n} ~干扰项甲 ~干扰项乙 ~干扰项丙}}" for n in range(count)).encode()


def best(function, runs: int) -> tuple[float, float]:
    """(wall, cpu) seconds of the fastest of `runs` calls."""
    timings = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        timings.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(timings)


def report(name: str, timing: tuple[float, float], note: str = "") -> bool:
    wall, cpu = timing
    verdict = "ok" if wall < LINE else "OVER"
    print(f"{name:<34}{wall:>8.2f}{cpu:>8.2f}  {verdict:<5}{note}", flush=True)
    return wall < LINE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'worst case':<34}{'wall s':>8}{'cpu s':>8}  against the {LINE:.0f} s line")
    ok = True
    render_markdown("warm up")
    for name, body in BODIES.items():
        ok &= report(name, best(lambda body=body: render_markdown(body), args.runs),
                     f"{len(body):,} chars")

    with tempfile.TemporaryDirectory() as folder, harness.own_database(folder) as url:
        site = harness.build(url, folder, secrets.token_hex(32), members=10, modules=2,
                             DISCUSSION_POST_LIMIT="10000 per minute")
        try:
            ok &= _gift_and_edits(site, args.runs)
        finally:
            site.dispose()
    print("all under the line" if ok else "some over the line")
    return 0 if ok else 1


def _gift_and_edits(site: harness.Site, runs: int) -> bool:
    from learning.accounts.services import create_user

    app, ok = site.app, True
    with app.app_context():
        create_user("bench-admin", "压测管理员", secrets.token_hex(8), is_admin=True)
        db.session.commit()
    (admin_cookie, admin_token), = harness.sessions(app, ["bench-admin"]).values()
    member = site.members[0]
    member_cookie, member_token = harness.sessions(app, [member])[member]

    def call(cookie, token, method, url, **kwargs):
        client = app.test_client()  # the signed-in visitor's session cookie, and nothing else
        name, _sep, value = cookie.partition("=")
        client.set_cookie(name, value)
        return client.open(url, method=method, headers={
            "X-CSRFToken": token, "User-Agent": harness.USER_AGENT}, **kwargs)

    def dry_run(data: bytes, name: str):
        response = call(admin_cookie, admin_token, "POST", "/api/v1/banks/import",
                        content_type="multipart/form-data",
                        data={"bank": "压测导入", "file": (io.BytesIO(data), name)})
        assert response.status_code in (200, 422), response.status_code
        return response

    at_cap, over_cap = gift(MAX_QUESTIONS), gift(MAX_QUESTIONS + 1)
    huge = "".join(f"q{n}{{T}}\n\n" for n in range(250_000)).encode()  # the probe's: tiny ones
    assert dry_run(at_cap, "cap.gift").get_json()["questions"] == MAX_QUESTIONS
    ok &= report("GIFT dry run at the cap", best(lambda: dry_run(at_cap, "cap.gift"), runs),
                 f"{MAX_QUESTIONS:,} questions, {len(at_cap) / 2**20:.1f} MB")
    ok &= report("GIFT dry run, one over the cap",
                 best(lambda: dry_run(over_cap, "over.gift"), runs), "refused")
    ok &= report("GIFT dry run, 250,000 questions", best(lambda: dry_run(huge, "huge.gift"), runs),
                 f"{len(huge) / 2**20:.1f} MB, refused")

    reply = call(member_cookie, member_token, "POST", f"/api/v1/threads/{site.thread_id}/posts",
                 json={"body": "原文"})
    assert reply.status_code == 201, reply.get_json()
    post_id = reply.get_json()["id"]
    with app.app_context():
        kept = app.config["DISCUSSION_REVISIONS_KEPT"]
        limit = app.config["DISCUSSION_MAX_CHARS"]
    bodies = iter(blocks_of(f"{n}\n=\n", limit) for n in range(kept + 10 * runs + 1))

    def edit():
        response = call(member_cookie, member_token, "PATCH", f"/api/v1/posts/{post_id}",
                        json={"body": next(bodies)})
        assert response.status_code == 200, response.get_json()

    for _ in range(kept):  # fill the history
        edit()
    ok &= report("post edit, full history", best(edit, runs), f"{limit:,} chars")
    with app.app_context():
        from courses.discussions.models import PostRevision

        stored = len(db.session.scalars(select(PostRevision.id).where(
            PostRevision.post_id == post_id)).all())
    print(f"{'':<34}revisions kept: {stored} of {kept + runs} edits")
    return ok


if __name__ == "__main__":
    sys.exit(main())
