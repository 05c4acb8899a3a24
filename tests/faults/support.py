"""What the fault tests share: a plain HTTP visitor, a seeded site served by gunicorn, the worker
that is serving a request right now, and a private PostgreSQL cluster.

Everything is bounded in time (every request, every subprocess) and cleans up after itself, so
a broken server fails a test instead of hanging it. The heavy lifting is bench/harness.py's.
"""

import glob
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench import harness

TIMEOUT = 10  # seconds for one HTTP request: well under a test's budget, far above a request's
# What a request that never got an answer raises: refused, reset, timed out, cut mid-reply.
FAILURES = (OSError, http.client.HTTPException)
APP = "wsgi:app"  # what gunicorn serves (a module constant, so a mutant can be swapped in)


@dataclass
class Reply:
    """One HTTP answer, read whole."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def json(self) -> dict:
        return json.loads(self.body)


class Browser:
    """One visitor of one server: a cookie jar of its own; redirects are returned, not followed
    (a 302 is how the app acknowledges a form)."""

    def __init__(self, base: str, cookie: str = "") -> None:
        self.base = urlsplit(base)
        self.cookies: dict[str, str] = {}
        for pair in filter(None, (part.strip() for part in cookie.split(";"))):
            name, _sep, value = pair.partition("=")
            self.cookies[name] = value

    def request(self, method: str, path: str, form=None) -> Reply:
        """One request on a fresh connection; raises one of FAILURES if no answer came."""
        headers = {"User-Agent": harness.USER_AGENT}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            conn.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, form) -> Reply:
        return self.request("POST", path, form)

    def csrf_token(self) -> str:
        """The token of this visitor's session, read off the login page as a browser would."""
        reply = self.get("/login")
        match = re.search(rb'name="csrf-token" content="([^"]+)"', reply.body)
        assert match, f"no CSRF token on /login ({reply.status})"
        return match.group(1).decode()


def healthy(base: str) -> bool:
    try:
        return Browser(base).get("/healthz").status == 200
    except FAILURES:
        return False


def wait_until(condition, timeout: float, step: float = 0.1) -> bool:
    """Poll `condition()` until it is true or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


# --- The site and its server --------------------------------------------------------------------


@contextmanager
def seeded_site(folder: Path, server_url: str | None, members: int,
                modules: int) -> Iterator[harness.Site]:
    """A database of our own (SQLite in `folder`, or one on `server_url`), migrated and seeded
    with harness.build(); dropped afterwards."""
    with harness.own_database(str(folder), server_url) as url:
        site = harness.build(url, str(folder), secrets.token_hex(32), members, modules)
        try:
            yield site
        finally:
            site.dispose()


# Not the developer's shell settings: only what a test asks for (empty is unset to the app).
CLEAN_ENV = {"REDIS_URL": "", "RATELIMIT_STORAGE_URI": "", "RATELIMIT_KEY_PREFIX": "",
             "LOGIN_LIMIT_PER_ACCOUNT": "", "LOGIN_LIMIT_PER_ADDRESS": ""}


def site_env(site: harness.Site, folder: Path, **env: str) -> dict[str, str]:
    """gunicorn's environment for serving `site` (plus `env`)."""
    return {**CLEAN_ENV, "DATABASE_URL": site.url, "SECRET_KEY": site.app.config["SECRET_KEY"],
            "UPLOAD_DIR": str(folder), **env}


@contextmanager
def serving(site: harness.Site, folder: Path, log: Path, *, workers: int,
            **env: str) -> Iterator[harness.Gunicorn]:
    """gunicorn on the site's database with all `workers` started, stopped on exit even when
    it never became healthy."""
    server = harness.Gunicorn(site_env(site, folder, **env), log, workers=workers, app=APP)
    with stopped_at_exit(server):
        server.start()
        all_workers_started(server, workers, log)
        yield server


def all_workers_started(server: harness.Gunicorn, workers: int, log: Path,
                        timeout: float = 60) -> list[int]:
    """The worker pids once exactly `workers` run. Healthy means one worker answered; on a busy
    machine the arbiter forks the others seconds later, and a test that snapshots the worker
    list before then sees workers "appear" (`workers [29136], now [29136, 29143]`)."""
    assert wait_until(lambda: len(server.worker_pids()) == workers, timeout), (
        f"{len(server.worker_pids())} of {workers} workers started in {timeout} s; see {log}")
    return server.worker_pids()


@contextmanager
def stopped_at_exit(server: harness.Gunicorn) -> Iterator[harness.Gunicorn]:
    """Stop `server` quickly on exit (QUIT: no request needs finishing), then kill any of its
    workers that outlived their arbiter."""
    seen: set[int] = set()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            seen.update(server.worker_pids())
            # Quick shutdown (QUIT): the test is over, no request needs finishing gracefully.
            server.process.send_signal(signal.SIGQUIT)
            with suppress(subprocess.TimeoutExpired):  # then stop(): TERM, then KILL
                server.process.wait(timeout=10)
        server.stop()
        for pid in seen:
            if _is_gunicorn(pid):
                os.kill(pid, signal.SIGKILL)


def _is_gunicorn(pid: int) -> bool:
    try:
        return b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def serving_workers(server: harness.Gunicorn) -> list[int]:
    """The workers holding an accepted connection of `server` now, i.e. in a request.

    Sync workers close every connection after its reply, so an established socket on the
    server's port owned by a worker is a request in flight; queued connections are owned by no
    one until a worker accepts them. Read from /proc (Linux): no tool needed.
    """
    table = Path("/proc/net/tcp")
    if not table.exists():  # not Linux: no telling which worker is busy
        return server.worker_pids()
    inodes = set()
    port = f":{server.port:04X}"
    for line in table.read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(port) and fields[3] == "01":  # local address, ESTABLISHED
            inodes.add(f"socket:[{fields[9]}]")
    busy = []
    for pid in server.worker_pids():
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue  # exited meanwhile
        if links & inodes:
            busy.append(pid)
    return busy


# --- A PostgreSQL cluster of the test's own -----------------------------------------------------


class PostgresCluster:
    """A throwaway PostgreSQL server: initdb into a temporary folder, listening on one free
    127.0.0.1 port only. As root it runs as the `postgres` OS user (initdb refuses root)."""

    def __init__(self) -> None:
        self.bin = Path(newest_postgres_bin() or "")
        self.folder = Path(tempfile.mkdtemp(prefix="studyhall-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = harness.free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([*self.as_owner, str(self.bin / tool), *args], timeout=timeout,
                                capture_output=True, text=True, check=False)
        if result.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}\n{self.log_tail()}")

    def create(self) -> "PostgresCluster":
        if self.as_owner:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-locale", "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=50")
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "30", "-o", options)

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")

    def running(self) -> bool:
        return self._postmaster() is not None

    def _postmaster(self) -> int | None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if b"postgres" in cmdline else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no PostgreSQL log)"

    def destroy(self, keep_log: Path | None = None) -> None:
        """Stop the server (immediately: nothing in it is kept) and remove the folder."""
        try:
            if self.running():
                self.stop("immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        finally:
            if (pid := self._postmaster()) is not None:  # pg_ctl could not stop it
                os.kill(pid, signal.SIGKILL)
            if keep_log is not None and self.log.exists():
                shutil.copy(self.log, keep_log)
            shutil.rmtree(self.folder, ignore_errors=True)


def newest_postgres_bin() -> str | None:
    """The bin folder of the newest PostgreSQL installed the Debian way, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(re.search(r"/(\d+)/bin/", path).group(1)))
    return str(Path(found[-1]).parent) if found else None


def private_postgres_missing() -> str | None:
    """Why this machine cannot run a private cluster, or None when it can."""
    if newest_postgres_bin() is None:
        return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing (initdb refuses root)"
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` OS user (initdb refuses root)"
    return None
