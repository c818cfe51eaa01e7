"""Unbound extensions, bound to an app in the factory."""

from typing import TYPE_CHECKING, TypeAlias

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Stable constraint names, so Alembic migrations name the same things on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The models' base class. At run time it is Flask-SQLAlchemy's db.Model (Base plus its mixins); mypy
# cannot take an instance attribute as a base class (python/mypy#8603), so to it the base is Base itself.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

# What the service's functions take as their database session: a plain Session (tests, the CLI's own
# sessions) or Flask-SQLAlchemy's request-scoped `db.session`, which proxies the same methods.
DbSession: TypeAlias = Session | scoped_session[FlaskSession]

# render_as_batch lets later migrations ALTER tables on SQLite, which has no ALTER COLUMN.
migrate = Migrate(render_as_batch=True, compare_type=True)
# Rate limits (failed sign-ins). memory:// counts per process; set RATELIMIT_STORAGE_URI=redis://… with several workers.
limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)
