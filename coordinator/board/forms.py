"""Board forms: every action is a small POST with a CSRF token, sent by htmx or by a plain form without script."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from coordinator.forms import no_control_characters, strip_filter
from coordinator.timeutil import as_utc

REASON_MAX = 2000


def _instant(form, field) -> None:
    """A slot's start as the board sends it: an ISO 8601 instant with its offset."""
    try:
        as_utc(datetime.fromisoformat(field.data or ""))
    except ValueError as exc:
        raise ValidationError("Choose a time from the board.") from exc


class ViewFields(FlaskForm):
    """Which board view to answer with (the one the action was made on)."""

    day = HiddenField()
    mode = HiddenField()


class PlaceForm(ViewFields):
    session_id = IntegerField("Session", validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    start = StringField("Start", validators=[DataRequired("Choose a time."), _instant])
    person_id = IntegerField("From the pool", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    reason = TextAreaField(
        "Why is this acceptable?",
        filters=[strip_filter],
        validators=[Optional(), Length(max=REASON_MAX), no_control_characters],
    )

    def start_dt(self) -> datetime:
        return as_utc(datetime.fromisoformat(self.start.data))


class SessionActionForm(ViewFields):
    session_id = IntegerField("Session", validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


class OptionForm(ViewFields):
    option = HiddenField(validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    reason = TextAreaField(
        "Reason for accepting the problems above",
        filters=[strip_filter],
        validators=[Optional(), Length(max=REASON_MAX), no_control_characters],
    )


class ButtonForm(FlaskForm):
    """A button that only needs its CSRF token."""
