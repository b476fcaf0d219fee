"""coordinator: second-round interview loops for hiring teams."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from coordinator.config import load_config

if TYPE_CHECKING:  # Flask is imported when an app is built, so the pure modules load without it
    from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; tests pass their own settings in `config`."""
    from coordinator.web import App

    app = App(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH") or PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _trust_proxies(app)

    from coordinator import diagnostics, errors, web
    from coordinator.auth import passwords
    from coordinator.extensions import csrf, db, login_manager, migrate

    passwords.configure(app.config.get("ARGON2_TIME_COST"), app.config.get("ARGON2_MEMORY_KIB"),
                        app.config.get("ARGON2_PARALLELISM"))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    _register_models()
    web.init_app(app)
    errors.init_app(app)
    diagnostics.install(app)
    _register_blueprints(app)
    _follow_loops()

    from coordinator.api import setup as api

    api.init_app(app)

    from coordinator import cli

    cli.init_app(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS reverse proxies, the client is the address the outermost of our proxies saw (Werkzeug's
    ProxyFix), not the proxy's own: otherwise every client shares one rate limit and one address in the audit log.
    Headers a client sends itself are never trusted beyond those hops."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _register_models() -> None:
    """Import every model module so SQLAlchemy and Alembic see the whole schema."""
    from coordinator.api import models as _api  # noqa: F401
    from coordinator.audit import models as _audit  # noqa: F401
    from coordinator.auth import models as _auth  # noqa: F401
    from coordinator.availability import models as _availability  # noqa: F401
    from coordinator.board import models as _board  # noqa: F401
    from coordinator.focus import models as _focus  # noqa: F401
    from coordinator.hiring import models as _hiring  # noqa: F401
    from coordinator.invites import models as _invites  # noqa: F401
    from coordinator.kits import models as _kits  # noqa: F401
    from coordinator.loops import models as _loops  # noqa: F401
    from coordinator.portal import models as _portal  # noqa: F401
    from coordinator.privacy import models as _privacy  # noqa: F401
    from coordinator.reminders import models as _reminders  # noqa: F401
    from coordinator.scorecards import models as _scorecards  # noqa: F401


def _follow_loops() -> None:
    """Invites, reminders, replies and calendar write-back follow every loop change (loops.changes.announce): no
    page keeps them in step."""
    from coordinator.availability import calendar_writeback
    from coordinator.invites import replies
    from coordinator.invites import services as invites
    from coordinator.kits import services as kits
    from coordinator.loops import changes
    from coordinator.reminders import services as reminders

    changes.follow("invites", invites.after_loop_change)
    changes.follow("reminders", reminders.after_loop_change)
    changes.follow("replies", replies.after_loop_change)
    changes.follow("calendars", calendar_writeback.after_loop_change)
    changes.follow("kits", kits.after_loop_change)  # the newly booked get their kit (pool picks too)


def _register_blueprints(app: Flask) -> None:
    from coordinator.audit.views import bp as audit_bp
    from coordinator.auth.views import bp as auth_bp
    from coordinator.availability.views import bp as availability_bp
    from coordinator.board.views import bp as board_bp
    from coordinator.focus.views import bp as focus_bp
    from coordinator.hiring.views import bp as hiring_bp
    from coordinator.home.views import bp as home_bp
    from coordinator.insight.views import bp as insight_bp
    from coordinator.invites.views import bp as invites_bp
    from coordinator.kits.views import bp as kits_bp
    from coordinator.loops.views import bp as loops_bp
    from coordinator.portal.views import bp as candidate_page_bp
    from coordinator.portal.views import portal as portal_bp
    from coordinator.privacy.views import bp as privacy_bp
    from coordinator.reminders.views import bp as reminders_bp
    from coordinator.scorecards.views import bp as scorecards_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(hiring_bp)
    app.register_blueprint(loops_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(availability_bp)
    app.register_blueprint(candidate_page_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(invites_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(focus_bp)
    app.register_blueprint(insight_bp)
    app.register_blueprint(kits_bp)
    app.register_blueprint(scorecards_bp)
