"""gunicorn's entry point for the page benchmark: the app of the checkout gunicorn runs in (wsgi.py there), plus
one page that does nothing but be signed in, so the floor is measured the same way on any commit.

    gunicorn --pythonpath <this folder> floor_wsgi:app     (run in the checkout to measure)

Standalone on purpose (no import from `bench`): the benchmark also serves older checkouts with it.
"""

from __future__ import annotations

FLOOR_PATH = "/_bench/floor"


def install_floor(app) -> None:
    """GET /_bench/floor: the layout with an empty page, for a signed-in user (the session, the user and their
    roles, the navigation), and nothing else."""
    from flask import render_template_string
    from flask_login import login_required

    @login_required
    def floor():
        return render_template_string('{% extends "base.html" %}{% block title %}Floor{% endblock %}')

    app.add_url_rule(FLOOR_PATH, "bench_floor", floor)


def _app():
    import sys

    import coordinator
    from wsgi import app

    install_floor(app)
    print(f"floor_wsgi: serving {coordinator.__file__}", file=sys.stderr, flush=True)
    return app


if __name__ != "__main__":  # imported by gunicorn
    import sys as _sys

    if "pytest" not in _sys.modules:
        app = _app()
