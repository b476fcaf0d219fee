"""Loop forms: settings, a session, placing by hand, cancelling, finding times."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from coordinator.forms import choices, no_control_characters, strip_filter
from coordinator.loops.models import Arrangement, CandidateInviteGrouping, SessionKind

REASON_MAX = 2000


def _yes(value: Any) -> bool:
    """A yes/no choice as the form sends it ("True", "1") or the loop holds it."""
    return value is True or str(value).lower() in ("true", "1", "yes", "on")


def _web_link(form: Any, field: Any) -> None:
    """Video links go into invites that people click: http(s) only."""
    if field.data and not field.data.startswith(("https://", "http://")):
        raise ValidationError("Use a link starting with https://")


def _location_field(description: str) -> StringField:
    """Where sessions take place, as the loop settings and a session both ask for it."""
    return StringField("Location", validators=[Optional(), Length(max=200), no_control_characters],
                       filters=[strip_filter], description=description)


def _video_link_field() -> URLField:
    """The video-call link, as the loop settings and a session both ask for it (checked last, as a
    `validate_video_url` method would be)."""
    return URLField("Video link", validators=[Optional(), Length(max=500), no_control_characters, _web_link],
                    filters=[strip_filter])


class LoopSettingsForm(FlaskForm):
    arrangement = SelectField("Arrangement", choices=choices((a.value, a.label) for a in Arrangement),
                              description="Back-to-back: one block on one day. Spread: sessions over several days.")
    buffer_min = IntegerField("Minutes between sessions", default=10, validators=[NumberRange(0, 120)])
    window_first_day = DateField("Look for times from", validators=[Optional()])
    window_last_day = DateField("until", validators=[Optional()])
    decision_due_on = DateField("Decision promised to the candidate by", validators=[Optional()])
    candidate_grouping = SelectField("The candidate's calendar shows",
                                     choices=choices((g.value, g.label) for g in CandidateInviteGrouping))
    location = _location_field("Room or address, for sessions without their own.")
    video_url = _video_link_field()
    send_at_once = SelectField("When sessions are booked or moved, the e-mails with invites", coerce=_yes,
                               choices=choices([(False, "wait until I have looked at them and press Send"),
                                                (True, "go out at once")]))


class PeopleField(SelectMultipleField):
    """A multiple choice of people by id; choices are set by the view."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, coerce=int, **kwargs)


class SessionForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120), no_control_characters],
                        filters=[strip_filter],
                        description="As the candidate sees it: “System design”, “Meet the team”.")
    kind = SelectField("Format", choices=choices((k.value, k.label) for k in SessionKind))
    duration_min = IntegerField("Length (minutes)", default=45,
                                validators=[InputRequired(message="Give the length in minutes."),
                                            NumberRange(1, 480, message="A session lasts 1 minute to 8 hours.")])
    interviewer_ids = PeopleField("Interviewers", description="Named interviewers. For a panel, choose two or more.")
    pool_ids = PeopleField("Or any of this pool", description="coordinator picks the least-loaded free people.")
    pool_count = IntegerField("How many from the pool", default=0, validators=[Optional(), NumberRange(0, 8)])
    shadow_ids = PeopleField("Shadows", description="Interviewers in training: they attend and do not score.")
    prep_min = IntegerField("Candidate preparation (minutes)", default=0, validators=[Optional(), NumberRange(0, 480)])
    prep_instructions = TextAreaField("What the candidate should prepare",
                                      validators=[Optional(), Length(max=REASON_MAX)])
    location = _location_field("Leave empty to use the loop's.")
    video_url = _video_link_field()


class PlaceSessionForm(FlaskForm):
    """Place one session by hand, in the viewer's time zone."""

    day = DateField("Day", validators=[DataRequired(message="Choose the day.")])
    start = TimeField("Start", validators=[DataRequired(message="Choose the start time.")])
    interviewer_ids = PeopleField("Interviewers")
    override_reason = TextAreaField("Reason to accept the problems above",
                                    validators=[Optional(), Length(max=REASON_MAX)])


class BookOptionForm(FlaskForm):
    """One engine option, carried back as data and checked again on the server."""

    option = HiddenField(validators=[DataRequired()])
    override_reason = TextAreaField("Reason", validators=[Optional(), Length(max=REASON_MAX)])
    #: the loop's version when the options were found: a booking on a loop changed since then is a 409
    version = HiddenField()


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(message="Give a reason."), Length(max=REASON_MAX)])


class ReplaceForm(FlaskForm):
    joining_id = IntegerField(validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=REASON_MAX)])


class FindTimesForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    first = DateField("From", validators=[Optional()])
    last = DateField("Until", validators=[Optional()])
