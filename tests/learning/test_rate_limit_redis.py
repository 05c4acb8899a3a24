"""With Redis configured, login limits are counted in Redis, so they hold across workers.

Two app instances stand for two gunicorn workers (or two servers behind the load balancer): the
second starts with empty process memory, and must still refuse the account the first one saw
being guessed at. Needs the Redis on 127.0.0.1:6379 (required in CI, skipped elsewhere when
absent); every key this test writes carries its own prefix and is deleted afterwards.
"""

import os
import uuid

import pytest
import redis

from tests.conftest import PASSWORD, login

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_storage():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"studyhall-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_login_limit_holds_across_two_app_processes(app, build_app, org, redis_storage):
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_storage,
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
    }
    worker_one = build_app(env="testing", config=settings)
    client_one = worker_one.test_client()
    for _ in range(3):
        assert login(client_one, "member", "wrong-password").status_code == 200

    worker_two = build_app(env="testing", config=settings)  # fresh memory, same Redis
    client_two = worker_two.test_client()
    assert login(client_two, "member", PASSWORD).status_code == 429
    # Another account is not affected.
    assert login(client_two, "leader_in", PASSWORD).status_code == 302
