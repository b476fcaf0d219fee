"""Forms of the candidate page (posted by the candidate) and of its panel on the loop page (the recruiter)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coordinator.portal.services import MAX_LINK_DAYS, NOTE_MAX, WHAT_TO_EXPECT_MAX

_DAYS = f"A link works for 1 to {MAX_LINK_DAYS} days."


def _days_message(field: Any) -> None:
    """WTForms says "Not a valid integer value."; say what to type instead."""
    field.errors = [_DAYS if "integer" in str(e) else e for e in field.errors]


class SendLinkForm(FlaskForm):
    """Make (and e-mail) a new private link; the earlier one stops working."""

    days = IntegerField("Link works for (days)", default=14, render_kw={"min": 1, "max": MAX_LINK_DAYS},
                        validators=[InputRequired(message=_DAYS), NumberRange(1, MAX_LINK_DAYS, message=_DAYS)])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        _days_message(self.days)
        return ok


class RevokeLinkForm(FlaskForm):
    """Only the CSRF token: the loop is in the URL."""


class PortalSettingsForm(FlaskForm):
    allow_self_booking = BooleanField("Let the candidate book the whole loop themself",
                                      description="They pick one of the engine's options; they may move it once, "
                                                  "up to 24 hours before.")
    what_to_expect = TextAreaField("What to expect in a second interview",
                                   validators=[Optional(), Length(max=WHAT_TO_EXPECT_MAX)],
                                   description="Shown on the candidate's page. Leave empty for the default text.")


class AvailabilityForm(FlaskForm):
    """The week grid posts its half-hours as repeated `slot` values (read with getlist) and the zone."""

    tz = HiddenField()


class BookForm(FlaskForm):
    option = HiddenField(validators=[DataRequired(message="Choose one of the times.")])
    tz = HiddenField()


class NoteForm(FlaskForm):
    to_user_id = IntegerField("For", validators=[InputRequired(message="Choose whom the note is for.")])
    body = TextAreaField("Your note", validators=[DataRequired(message="Write your note first."),
                                                  Length(max=NOTE_MAX)])
