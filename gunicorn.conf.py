"""gunicorn settings for `make serve` / `gunicorn --config gunicorn.conf.py wsgi:app`.

Sync workers: every request is short and database-bound; sized from the CPU count.
Override any value with GUNICORN_CMD_ARGS, e.g. GUNICORN_CMD_ARGS="--workers 3".
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 120  # a 3,000-member roster import hashes initial passwords for ~15 s
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then (bounded memory growth)
max_requests_jitter = 200
# The app is imported once, in the arbiter, and workers are forked from it: a recycled or killed
# worker is back in milliseconds instead of re-importing the app for seconds (measured by
# bench/load.py: without it, every recycle left one worker fewer for ~4 s, p99 over 4 s).
preload_app = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """A forked worker must not share the arbiter's database connections (SQLAlchemy's advice
    for pools across fork): start with an empty pool."""
    from learning.extensions import db

    app = worker.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)


def on_starting(server):
    """Login limits must hold across the workers: production refuses to start with several
    workers counting in their own memory (no REDIS_URL), unless RATELIMIT_ALLOW_MEMORY=1 says
    the operator accepts it; then, and outside production, it is a warning in the log."""
    from learning.config import rate_limit_storage_problem

    config = server.app.wsgi().config  # preloaded already: this costs nothing
    problem = rate_limit_storage_problem(config, server.cfg.workers)
    if problem is None:
        return
    if config["ENV_NAME"] == "production" and not config["RATELIMIT_ALLOW_MEMORY"]:
        # gunicorn prints a RuntimeError's message and exits with status 1.
        raise RuntimeError(f"{problem} (Or set RATELIMIT_ALLOW_MEMORY=1 to start anyway.)")
    server.log.warning(problem)
