"""Forms of the availability pages: load limits, busy times, calendar import and candidate windows.

Dates and times are wall-clock values in the zone of the person (or candidate) they belong to; the views turn
them into UTC through the services.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, PasswordField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from coordinator.availability.services import LIMIT_RANGES, SUMMARY_MAX_CHARS
from coordinator.forms import no_control_characters, strip_filter

_NOT_A_DATE = "Enter a date such as 2026-03-30."
_NOT_A_TIME = "Enter a time such as 09:30."
_TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send 09:30, some 09:30:00


def _limit_field(label: str, name: str, description: str) -> IntegerField:
    low, high, _default = LIMIT_RANGES[name]
    return IntegerField(label, description=description, render_kw={"min": low, "max": high, "step": 1},
                        validators=[InputRequired(message=f"Give a number from {low} to {high}."),
                                    NumberRange(low, high, message=f"Choose a number from {low} to {high}.")])


class LoadLimitsForm(FlaskForm):
    max_per_day = _limit_field("Interviews a day, at most", "max_per_day", "1 to 8.")
    max_per_week = _limit_field("Interviews a week, at most", "max_per_week", "1 to 25, Monday to Sunday.")
    buffer_before_min = _limit_field("Buffer before, minutes", "buffer_before_min",
                                     "Kept free before each interview, 0 to 60.")
    buffer_after_min = _limit_field("Buffer after, minutes", "buffer_after_min",
                                    "Kept free after each interview, 0 to 60.")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for name, (low, high, _default) in LIMIT_RANGES.items():  # "Not a valid integer value." says too little
            field = getattr(self, name)
            field.errors = [f"Give a whole number from {low} to {high}." if "integer" in str(e) else e
                            for e in field.errors]
        return ok


class _TimesMixin:
    """Cross-field rule shared by the time forms: a start and an end unless the form allows a whole day."""

    def _require_times(self, all_day: bool, hint: str = "") -> bool:
        ok = True
        if all_day:
            return ok
        for name, what in (("start", "a start time"), ("end", "an end time")):
            field = getattr(self, name)
            if field.data is None and not field.errors:
                field.errors = [*field.errors, f"Give {what}{hint}."]
                ok = False
        return ok


class BusyTimeForm(_TimesMixin, FlaskForm):
    day = DateField("Date", validators=[InputRequired(message="Choose the date.")],
                    render_kw={"required": True})
    start = TimeField("From", validators=[Optional()], format=_TIME_FORMATS)
    end = TimeField("To", validators=[Optional()], format=_TIME_FORMATS)
    until = DateField("Until (date)", validators=[Optional()],
                      description="Only for busy times over several days; empty means the same day.")
    all_day = BooleanField("All day")
    summary = StringField("Note", validators=[Optional(), Length(max=SUMMARY_MAX_CHARS), no_control_characters],
                          filters=[strip_filter], description="Optional, e.g. “Dentist”; recruiters see it too.")

    def validate(self, extra_validators: Any = None) -> bool:
        # Cross-field rules in validate(): Optional() on an empty field would stop a validate_end() method.
        ok = super().validate(extra_validators)
        _friendlier_parse_errors(self)
        if not self._require_times(bool(self.all_day.data), ", or tick “All day”"):
            ok = False
        if self.day.data and self.until.data and self.until.data < self.day.data:
            self.until.errors = [*self.until.errors, "The last day must not be before the first day."]
            ok = False
        return ok and not any(f.errors for f in self)


class CalendarImportForm(FlaskForm):
    calendar_file = FileField("Calendar file (.ics)", validators=[
        FileRequired(message="Choose a calendar file (.ics) to import."),
    ], render_kw={"accept": ".ics,.ical,.ifb,.icalendar,text/calendar"})


class CalendarConnectForm(FlaskForm):
    """A live calendar account: checked with the server before anything is stored."""

    server_url = StringField("CalDAV server address", filters=[strip_filter],
                             validators=[InputRequired(message="Enter the address of your CalDAV server."),
                                         Length(max=1000), no_control_characters],
                             description="e.g. https://caldav.fastmail.com/, https://cloud.example.com/remote.php/dav/",
                             render_kw={"autocomplete": "url", "spellcheck": "false"})
    username = StringField("User name", filters=[strip_filter],
                           validators=[InputRequired(message="Enter the user name of your calendar account."),
                                       Length(max=255), no_control_characters],
                           render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = PasswordField("App password",
                             validators=[InputRequired(message="Enter the app password of your calendar account."),
                                         Length(max=1000)],
                             description="Made at your provider for this use; stored encrypted, never shown again.",
                             render_kw={"autocomplete": "new-password"})


class CalendarChooseForm(FlaskForm):
    """Which calendars count as busy (checkboxes named `busy`) and which one receives interviews (`write`); the
    choices are the connection's calendars, read from the request by the view."""


class CandidateWindowForm(_TimesMixin, FlaskForm):
    day = DateField("Date", validators=[InputRequired(message="Choose the date.")],
                    render_kw={"required": True})
    start = TimeField("From", validators=[Optional()], format=_TIME_FORMATS)
    end = TimeField("To", validators=[Optional()], format=_TIME_FORMATS)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        _friendlier_parse_errors(self)
        if not self._require_times(False):
            ok = False
        return ok and not any(f.errors for f in self)


def _friendlier_parse_errors(form: FlaskForm) -> None:
    """WTForms says "Not a valid date value."; say what to type instead."""
    for field in form:
        if field.type in ("DateField", "TimeField") and field.errors:
            field.errors = [_NOT_A_DATE if "date value" in str(e) else _NOT_A_TIME if "time value" in str(e) else e
                            for e in field.errors]
