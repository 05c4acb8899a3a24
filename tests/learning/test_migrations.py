"""Migrations are reviewed code: an empty database upgrades to head and matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from learning import create_app
from learning.extensions import db


def test_upgrade_empty_database_to_head_leaves_nothing_to_autogenerate(engine_name,
                                                                         temp_database):
    app = create_app(env="testing", config={"SQLALCHEMY_DATABASE_URI":
                                            temp_database(engine_name)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        db.engine.dispose()
    assert not diff, f"models and migrations differ: {diff}"
    assert {"users", "org_units", "memberships", "audit_entries", "api_tokens",
            "login_events", "staged_files", "alembic_version"} <= tables


def test_constraints_follow_the_naming_convention(app):
    with app.app_context():
        inspector = inspect(db.engine)
        fks = inspector.get_foreign_keys("memberships")
        uniques = inspector.get_unique_constraints("memberships")
    assert {fk["name"] for fk in fks} == {"fk_memberships_user_id_users",
                                          "fk_memberships_unit_id_org_units"}
    assert {u["name"] for u in uniques} == {"uq_memberships_user_id_unit_id"}
