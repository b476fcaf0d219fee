"""Fixtures for the whole suite: apps on SQLite and PostgreSQL, clients signed in per role, factories.

Real components only: the schema comes from the Alembic migrations, forms carry real CSRF tokens, passwords are
real Argon2id hashes. A component that is missing (PostgreSQL, Chromium) skips its tests outside CI and fails
them under CI=true.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings
from itsdangerous import URLSafeTimedSerializer
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, text
from werkzeug.routing import Rule

from coordinator import create_app, timeutil
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job
from tests.helpers import IS_CI, Clock, login, new_candidate, new_job, new_org, new_user, require_component

# Hypothesis: a test that names no max_examples (the hostile-input walk over every form) runs 500 examples under
# CI=true and 50 on a developer's run; HYPOTHESIS_PROFILE=ci gives a developer the full run.
settings.register_profile("ci", max_examples=500)
settings.register_profile("dev", max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IS_CI else "dev"))

# --- one app per test, built fast ---------------------------------------------------------------------------
# Most tests make their own app (create_app per test, as a fresh process would). Two things create_app and its
# first pages redo every time cost more than the test itself, and their result is the same for every app of the
# run, so each worker process keeps it: werkzeug's generated URL builder for each rule (its code depends only on
# the rule; about 80% of create_app) and Jinja's compiled template code (a bytecode cache, keyed on the
# template's source as Jinja always does). URLs and pages come out exactly as without them.

_url_builders: dict[tuple, Callable[..., tuple[str, str]]] = {}
_compile_url_builder = Rule._compile_builder


def _cached_url_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    converters = tuple((name, type(conv)) for name, conv in self._converters.items())
    try:
        key = (self.rule, tuple(self._trace), tuple(sorted((self.defaults or {}).items())), converters,
               append_unknown)
        builder = _url_builders.get(key)
    except TypeError:  # an unhashable default: build it as werkzeug does
        return _compile_url_builder(self, append_unknown)
    if builder is None:
        builder = _url_builders[key] = _compile_url_builder(self, append_unknown)
    return builder


Rule._compile_builder = _cached_url_builder  # type: ignore[method-assign]


class _TemplateCode(BytecodeCache):
    """Compiled templates kept in memory for the worker's lifetime."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _TemplateCode()}

PG_URL_VAR = "COORDINATOR_TEST_DATABASE_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"  # the local server on dev and CI machines

class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token with every form POST, the way a browser form would.

    Pass `csrf=False` to post without one.
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if raw is None:
                raw = uuid.uuid4().hex
                sess["csrf_token"] = raw
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        # Each request gets its own app context, g and database session, as under a real server; without this
        # Flask would reuse the test's app context and leak the signed-in user from one client to another.
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            # End the test's own transaction so it sees what the request committed (SQLite reads are snapshots).
            db.session.commit()
        return response

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any):  # type: ignore[override]
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "json" not in kwargs:
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


def _config(database_url: str, instance: Path, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance),
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        # Still Argon2id, at a cost that keeps the suite fast (production: t=3, 64 MiB, p=4).
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 8192,
        "ARGON2_PARALLELISM": 1,
        # The suites that follow every change into the outbox look at each change's own e-mails: invites go out at
        # once and do not coalesce. tests/board sets the defaults back (held for review, changes coalesce).
        "SEND_INVITES_AT_ONCE": True,
        "INVITE_COALESCE_MINUTES": 0,
        **extra,
    }


def _finish(app: Flask) -> Iterator[Flask]:
    app.test_client_class = CSRFClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# --- SQLite: migrate once into a template file, copy it per test ------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    app = create_app(_config(f"sqlite:///{path}", folder))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def seed_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, Any]]:
    """Data built once instead of per test: `seed_template(name, seed)` copies the migrated template, runs
    `seed(app)` in an app context on the copy, commits, and returns the file and what `seed` returned. A folder
    whose tests all start from that data points `sqlite_source` at the file (see tests/security/conftest.py)."""
    def build(name: str, seed: Callable[[Flask], Any]) -> tuple[Path, Any]:
        folder = tmp_path_factory.mktemp(name)
        path = folder / "template.sqlite3"
        shutil.copy(sqlite_template, path)
        app = create_app(_config(f"sqlite:///{path}", folder))
        app.test_client_class = CSRFClient
        with app.app_context():
            result = seed(app)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return path, result
    return build


@pytest.fixture
def sqlite_source(sqlite_template: Path) -> Path:
    """The file each test's SQLite database is a copy of: the migrated, empty schema unless a folder overrides it."""
    return sqlite_template


@pytest.fixture
def sqlite_app(sqlite_source: Path, tmp_path: Path) -> Iterator[Flask]:
    path = tmp_path / "app.sqlite3"
    shutil.copy(sqlite_source, path)
    yield from _finish(create_app(_config(f"sqlite:///{path}", tmp_path)))


# --- PostgreSQL: one fresh schema per run, migrated once, tables emptied per test -------------------------------

@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[tuple[str, str]]:
    url = os.environ.get(PG_URL_VAR) or DEFAULT_PG_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means "not available"
        require_component("PostgreSQL", f"cannot connect to {url} (set {PG_URL_VAR}): {exc}")
    try:
        yield url, schema
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _pg_config(url: str, schema: str, instance: Path) -> dict[str, Any]:
    return _config(url, instance, SQLALCHEMY_ENGINE_OPTIONS={
        "connect_args": {"options": f"-csearch_path={schema},public"}, "pool_pre_ping": True,
    })


@pytest.fixture(scope="session")
def pg_migrated(pg_schema_url: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    url, schema = pg_schema_url
    app = create_app(_pg_config(url, schema, tmp_path_factory.mktemp("pg")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url, schema


@pytest.fixture
def pg_app(pg_migrated: tuple[str, str], tmp_path: Path) -> Iterator[Flask]:
    url, schema = pg_migrated
    app = create_app(_pg_config(url, schema, tmp_path))
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    yield from _finish(app)


@pytest.fixture
def app(sqlite_app: Flask) -> Flask:
    """The default app: SQLite, as a new install runs it."""
    return sqlite_app


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_app(request: pytest.FixtureRequest) -> Flask:
    """For database-sensitive tests: runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{'sqlite' if request.param == 'sqlite' else 'pg'}_app")


# --- time -------------------------------------------------------------------------------------------------------

@pytest.fixture
def clock() -> Iterator[Clock]:
    """The one test clock: frozen at the real time now, moved with `clock.set(dt)` / `clock.advance(hours=2)`.

    Everything reads it through `timeutil.now_utc()`: views, services, the models' defaults, the pages. A folder
    that wants another starting time overrides this fixture, asks for it and sets it (see tests/availability)."""
    fake = Clock(datetime.now(UTC))
    timeutil.set_clock(fake)
    yield fake
    timeutil.set_clock(None)


# --- factories (the plain functions are in tests/helpers.py, for data built once per session too) ---------------

@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    return new_user


@pytest.fixture
def make_job(app: Flask) -> Callable[..., Job]:
    return new_job


@pytest.fixture
def make_candidate(app: Flask) -> Callable[..., Candidate]:
    return new_candidate


@pytest.fixture
def client_for(app: Flask) -> Callable[[User], FlaskClient]:
    """A fresh client signed in as the given user."""
    def factory(user: User) -> FlaskClient:
        return login(app.test_client(), user)
    return factory


@pytest.fixture
def org(app: Flask) -> dict[str, Any]:
    """A small organisation: one person per role, a job with a candidate, and an unrelated job (and the factories,
    which some folders' fixtures pass on)."""
    return {**new_org(), "make_user": new_user, "make_job": new_job, "make_candidate": new_candidate}
