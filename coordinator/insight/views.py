"""/insight: the reports for a period and a job or department, each a chart with its table, and their CSVs."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from coordinator.auth.permissions import can_view_calibration, can_view_insight, require, visible_jobs
from coordinator.extensions import db
from coordinator.insight import services, tables
from coordinator.insight.forms import FilterForm
from coordinator.timeutil import now_utc

bp = Blueprint("insight", __name__, url_prefix="/insight")


def _filter() -> tuple[FilterForm, services.Scope | None]:
    """The filter as asked for; the scope, or None when the filter is wrong (the page says why, with a 400)."""
    mine = visible_jobs(current_user).subquery()
    jobs = [tuple(r) for r in db.session.execute(
        select(mine.c.id, mine.c.title, mine.c.department).order_by(mine.c.title, mine.c.id))]
    form = FilterForm(request.args)
    form.fill(jobs, now_utc().date())
    if not form.validate():
        return form, None
    scope = services.Scope(form.first.data, form.last.data,
                           services.job_scope(visible_jobs(current_user), form.job_id, form.department.data or None))
    return form, scope


def _compute(name: str, scope: services.Scope) -> tables.Table:
    now = now_utc()
    if name == "schedule":
        return tables.schedule(services.time_to_schedule(scope))
    if name == "changes":
        return tables.changes(services.changes(scope))
    if name == "load":
        return tables.load(services.load(scope))
    if name == "scorecards":
        return tables.scorecards(services.scorecards(scope, now))
    if name == "decisions":
        return tables.decisions(services.decisions(scope, now))
    if name == "funnel":
        return tables.funnel(services.funnel(scope, now))
    if name == "self-booking":
        return tables.self_booking(services.self_booking(scope))
    return tables.calibration(services.calibration(scope))


@bp.get("")
@login_required
def index():
    require(can_view_insight(current_user))
    form, scope = _filter()
    if scope is None:
        return render_template("insight/index.html", form=form, reports=None,
                               problems=form.messages()), 400
    now = now_utc()
    reports = {
        "schedule": services.time_to_schedule(scope),
        "changes": services.changes(scope),
        "load": services.load(scope),
        "scorecards": services.scorecards(scope, now),
        "decisions": services.decisions(scope, now),
        "funnel": services.funnel(scope, now),
        "self-booking": services.self_booking(scope),
    }
    if can_view_calibration(current_user):
        reports["calibration"] = services.calibration(scope)
    made = {name: getattr(tables, name.replace("-", "_"))(report) for name, report in reports.items()}
    return render_template("insight/index.html", form=form, reports=reports, tables=made, scope=scope,
                           titles=tables.TITLES, query=request.query_string.decode(), problems=[],
                           min_candidates=services.MIN_CANDIDATES)


@bp.get("/<report>.csv")
@login_required
def download(report: str):
    require(can_view_insight(current_user))
    if report not in tables.TITLES:
        abort(404)
    if report == "calibration":
        require(can_view_calibration(current_user))
    form, scope = _filter()
    if scope is None:
        abort(400, description=" ".join(form.messages()))
    table = _compute(report, scope)
    name = f"{report}-{scope.first.isoformat()}-{scope.last.isoformat()}.csv"
    return Response(tables.to_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
