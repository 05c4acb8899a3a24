"""Flask extensions, created unbound at module level and bound in `create_app`.

This module imports no feature code, so any module may import it.
"""

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so migrations can alter them (SQLite batch mode needs the names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model, carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address)
# Used through learning.cache.cached(), which survives a cache outage; no {% cache %} tag.
cache = Cache(with_jinja2_ext=False)


class ErrorSchema(Schema):
    """The API's one error shape, as learning/errors.py writes it."""

    code = fields.Integer(required=True, metadata={"description": "the HTTP status"})
    status = fields.String(required=True, metadata={"description": "its name"})
    message = fields.String(required=True, metadata={"description": "what went wrong"})
    errors = fields.Dict(metadata={"description": "per location and field, e.g. "
                                   '{"json": {"title": ["..."]}}'})


class StudyHallApi(Api):
    """flask-smorest's Api without its app-wide JSON error handler: learning/errors.py answers
    HTML pages with HTML and /api/ paths with JSON in the same documented shape."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


api = StudyHallApi()
