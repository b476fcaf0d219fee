"""The API's JSON, as marshmallow schemas: they validate requests, shape responses and are the OpenAPI
description (flask-smorest/apispec generate it from them). Times are ISO-8601 in UTC."""

from __future__ import annotations

from datetime import UTC

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from coordinator.hiring.models import CandidateStage, JobStatus
from coordinator.loops.models import LoopStatus, SessionStatus


def _values(enum) -> validate.OneOf:
    return validate.OneOf([m.value for m in enum])


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Instant(fields.AwareDateTime):
    """An ISO-8601 instant; one without an offset is read as UTC, and every instant is written in UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- pages and queries -----------------------------------------------------------------------------------------------

class ListQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    cursor = fields.String(metadata={"description": "From the previous page's next_cursor."},
                           validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    updated_since = Instant(metadata={"description": "Only items changed at or after this instant."})


class CandidateQuery(ListQuery):
    external_id = fields.String(validate=validate.Length(1, 200))
    job_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))


class LoopQuery(ListQuery):
    candidate_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    status = fields.String(validate=_values(LoopStatus))


class ByLoopQuery(ListQuery):
    loop_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))


def page_of(item: type[Schema], name: str) -> type[Schema]:
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item), required=True),
        "next_cursor": fields.String(allow_none=True, required=True, metadata={
            "description": "Pass as cursor for the next page; null on the last page."}),
    })


# --- jobs ----------------------------------------------------------------------------------------------------------

class JobSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(1, 160))
    department = fields.String(required=True, validate=validate.Length(1, 120))
    status = fields.String(load_default=JobStatus.OPEN.value, validate=_values(JobStatus))
    hiring_manager_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    recruiter_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    feedback_due_hours = fields.Integer(load_default=24, validate=validate.Range(1, 336))
    created_at = Instant(dump_only=True, attribute="created_dt")
    updated_at = Instant(dump_only=True, attribute="updated_dt")

    class Meta:
        unknown = RAISE


class JobPatchSchema(Strict):
    title = fields.String(validate=validate.Length(1, 160))
    department = fields.String(validate=validate.Length(1, 120))
    status = fields.String(validate=_values(JobStatus))
    hiring_manager_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    recruiter_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    feedback_due_hours = fields.Integer(validate=validate.Range(1, 336))


# --- candidates ----------------------------------------------------------------------------------------------------

class CandidateSchema(Schema):
    id = fields.Integer(dump_only=True)
    external_id = fields.String(allow_none=True, load_default=None, validate=validate.Length(1, 200),
                                metadata={"description": "The candidate's id in your ATS; unique."})
    name = fields.String(required=True, validate=validate.Length(1, 160))
    email = fields.Email(required=True, validate=validate.Length(3, 254))
    timezone = fields.String(required=True, validate=validate.Length(1, 64),
                             metadata={"description": "IANA zone, e.g. Europe/London."})
    job_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    stage = fields.String(load_default=CandidateStage.TO_SCHEDULE.value, validate=_values(CandidateStage))
    first_interview_emphasis = fields.String(load_default="", validate=validate.Length(max=5000))
    probe_further = fields.String(load_default="", validate=validate.Length(max=5000))
    created_at = Instant(dump_only=True, attribute="created_dt")
    updated_at = Instant(dump_only=True, attribute="updated_dt")

    class Meta:
        unknown = RAISE


class CandidatePatchSchema(Strict):
    external_id = fields.String(allow_none=True, validate=validate.Length(1, 200))
    name = fields.String(validate=validate.Length(1, 160))
    email = fields.Email(validate=validate.Length(3, 254))
    timezone = fields.String(validate=validate.Length(1, 64))
    job_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    stage = fields.String(validate=_values(CandidateStage))
    first_interview_emphasis = fields.String(validate=validate.Length(max=5000))
    probe_further = fields.String(validate=validate.Length(max=5000))


# --- loops ---------------------------------------------------------------------------------------------------------

class ParticipantSchema(Schema):
    user_id = fields.Integer()
    name = fields.Function(lambda p: p.user.name)
    role = fields.String()
    answer = fields.String()


class SessionSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    title = fields.String()
    kind = fields.String()
    duration_min = fields.Integer()
    status = fields.String(validate=_values(SessionStatus))
    start = Instant(attribute="start_dt", allow_none=True)
    end = Instant(attribute="end_dt", allow_none=True)
    participants = fields.List(fields.Nested(ParticipantSchema))


class LoopSchema(Schema):
    id = fields.Integer()
    candidate_id = fields.Integer()
    job_id = fields.Function(lambda loop: loop.candidate.job_id)
    recruiter_id = fields.Integer()
    status = fields.String(validate=_values(LoopStatus))
    arrangement = fields.String()
    buffer_min = fields.Integer()
    location = fields.String()
    video_url = fields.String()
    decision_due_on = fields.Date(allow_none=True)
    version = fields.Integer()
    created_at = Instant(attribute="created_dt")
    updated_at = Instant(attribute="updated_dt")
    sessions = fields.List(fields.Nested(SessionSchema))


class LoopCreateSchema(Strict):
    candidate_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))


class CancelSchema(Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 2000),
                           metadata={"description": "Shown to attendees and in the loop's history."})


class FindTimesSchema(Strict):
    first_day = fields.Date(metadata={"description": "First day, in the candidate's zone (default: tomorrow)."})
    last_day = fields.Date()
    options = fields.Integer(load_default=5, validate=validate.Range(1, 10))


class PlacementSchema(Strict):
    session_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    start = Instant(required=True)
    end = Instant(dump_only=True)
    interviewer_ids = fields.List(fields.Integer(validate=validate.Range(1, 2**31 - 1)), required=True,
                                  validate=validate.Length(max=20))
    shadow_ids = fields.List(fields.Integer(validate=validate.Range(1, 2**31 - 1)), load_default=list,
                             validate=validate.Length(max=20))


class OptionSchema(Schema):
    days = fields.Integer(metadata={"description": "Days the candidate comes in."})
    sessions = fields.List(fields.Nested(PlacementSchema))


class FindTimesResultSchema(Schema):
    options = fields.List(fields.Nested(OptionSchema))
    reasons = fields.List(fields.String(), metadata={"description": "Why there are no (more) options."})
    exhausted = fields.Boolean(metadata={"description": "The search stopped at its budget before it was complete."})


class BookSchema(Strict):
    sessions = fields.List(fields.Nested(PlacementSchema), required=True, validate=validate.Length(1, 50),
                           metadata={"description": "An option from find-times, as it came."})
    override_reason = fields.String(load_default="", validate=validate.Length(max=2000), metadata={
        "description": "Accepts soft problems (outside working hours, over a load limit)."})


# --- focus areas, scorecards, decisions ----------------------------------------------------------------------------

class FocusAreaSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    created_at = Instant(attribute="created_dt")


class ScorecardAreaSchema(Schema):
    focus_area_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    rating = fields.String(allow_none=True)
    is_not_assessed = fields.Boolean()
    not_assessed_reason = fields.String(allow_none=True)
    situation = fields.String(allow_none=True)
    task = fields.String(allow_none=True)
    action = fields.String(allow_none=True)
    result = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)


class ScorecardSchema(Schema):
    """A submitted scorecard as its latest submitted revision says (drafts are never served)."""

    id = fields.Integer()
    loop_id = fields.Integer()
    session_id = fields.Integer()
    interviewer_id = fields.Integer()
    interviewer_name = fields.String()
    revision = fields.Integer()
    recommendation = fields.String()
    takeaways = fields.String()
    submitted_at = Instant()
    updated_at = Instant()
    areas = fields.List(fields.Nested(ScorecardAreaSchema))


class DecisionSchema(Schema):
    id = fields.Integer()
    loop_id = fields.Integer()
    outcome = fields.String()
    rationale = fields.String()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = Instant(attribute="decided_dt")


JobPage = page_of(JobSchema, "JobPage")
CandidatePage = page_of(CandidateSchema, "CandidatePage")
LoopPage = page_of(LoopSchema, "LoopPage")
FocusAreaPage = page_of(FocusAreaSchema, "FocusAreaPage")
ScorecardPage = page_of(ScorecardSchema, "ScorecardPage")
DecisionPage = page_of(DecisionSchema, "DecisionPage")


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "Per field, what is wrong (validation errors)."})
