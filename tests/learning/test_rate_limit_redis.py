"""With Redis configured, login limits are counted in Redis, so they hold across workers.

Two app instances stand for two gunicorn workers (or two servers behind the load balancer): the
second starts with empty process memory, and must still refuse the account the first one saw
being guessed at. Needs the Redis on 127.0.0.1:6379 (required in CI, skipped elsewhere when
absent); every key this test writes carries its own prefix and is deleted afterwards.
"""

from tests.conftest import PASSWORD, REDIS_URL, login


def redis_settings(app, prefix: str, **limits: str) -> dict:
    """An app of the suite's database counting in Redis under `prefix`, with these limits."""
    return {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, **limits}


def test_login_limit_holds_across_two_app_processes(app, build_app, org, redis_prefix):
    prefix, _client = redis_prefix
    settings = redis_settings(app, prefix, LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    worker_one = build_app(env="testing", config=settings)
    client_one = worker_one.test_client()
    for _ in range(3):
        assert login(client_one, "member", "wrong-password").status_code == 200

    worker_two = build_app(env="testing", config=settings)  # fresh memory, same Redis
    client_two = worker_two.test_client()
    assert login(client_two, "member", PASSWORD).status_code == 429
    # Another account is not affected.
    assert login(client_two, "leader_in", PASSWORD).status_code == 302


def test_address_failures_are_counted_across_two_app_processes(app, build_app, org,
                                                               redis_prefix):
    """Past the address limit, counted on the first worker, a failure on the second one locks
    the account it was aimed at."""
    prefix, _client = redis_prefix
    settings = redis_settings(app, prefix, LOGIN_LIMIT_PER_ADDRESS="2 per 15 minutes")
    client_one = build_app(env="testing", config=settings).test_client()
    for n in range(2):
        assert login(client_one, f"nobody{n}", "wrong-password").status_code == 200

    client_two = build_app(env="testing", config=settings).test_client()
    assert login(client_two, "member", "wrong-password").status_code == 200
    assert login(client_two, "member", PASSWORD).status_code == 429
    assert login(client_two, "leader_in", PASSWORD).status_code == 302
