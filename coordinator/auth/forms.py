"""Sign-in, user administration, profile and password forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, FieldList, FormField, PasswordField, StringField, TimeField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from coordinator.auth.models import WEEKDAY_NAMES
from coordinator.auth.passwords import MAX_PASSWORD_LENGTH, password_problem
from coordinator.auth.roles import Role
from coordinator.forms import MultiCheckboxField, TimezoneField, choices, no_control_characters, strip_filter


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], filters=[strip_filter])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


class DayHoursForm(FlaskForm):
    """One weekday's working window; both empty means a day off."""

    class Meta:
        csrf = False  # nested in a form that already carries the token

    start = TimeField("From", validators=[Optional()])
    end = TimeField("To", validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        # Cross-field rule in validate(): Optional() on an empty field would stop a validate_end() method.
        if not super().validate(extra_validators):
            return False
        start, end = self.start.data, self.end.data
        if (start is None) != (end is None):
            self.end.errors = [*self.end.errors, "Give both times, or neither for a day off."]
            return False
        if start and end and end <= start:
            self.end.errors = [*self.end.errors, "The day must end after it starts."]
            return False
        return True


class WorkingHoursMixin:
    working_hours = FieldList(FormField(DayHoursForm), min_entries=7, max_entries=7)

    def hours_dict(self) -> dict:
        result = {}
        for weekday, entry in enumerate(self.working_hours.entries):  # type: ignore[attr-defined]
            if entry.form.start.data and entry.form.end.data:
                result[weekday] = (entry.form.start.data, entry.form.end.data)
        return result

    def fill_hours(self, hours: dict) -> None:
        for weekday, entry in enumerate(self.working_hours.entries):  # type: ignore[attr-defined]
            start, end = hours.get(weekday, (None, None))
            entry.form.start.data, entry.form.end.data = start, end

    @staticmethod
    def weekday_names() -> tuple[str, ...]:
        return WEEKDAY_NAMES


def _password_policy(form: Any, field: Any) -> None:
    if field.data:
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


class UserForm(WorkingHoursMixin, FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=120), no_control_characters],
                       filters=[strip_filter])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
                       filters=[strip_filter])
    job_title = StringField("Job title", validators=[Optional(), Length(max=120), no_control_characters],
                            filters=[strip_filter], description="Candidates see this next to the name.")
    timezone = TimezoneField("Time zone")
    roles = MultiCheckboxField("Roles", choices=choices(Role.choices()),
                               validators=[DataRequired(message="Give the user at least one role.")])
    is_enabled = BooleanField("Account enabled", default=True)
    password = PasswordField("One-time password", validators=[Optional(), _password_policy],
                             description="Leave empty to create a set-password link instead.")


class ProfileForm(WorkingHoursMixin, FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=120), no_control_characters],
                       filters=[strip_filter])
    job_title = StringField("Job title", validators=[Optional(), Length(max=120), no_control_characters],
                            filters=[strip_filter])
    timezone = TimezoneField("Time zone")


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), _password_policy])
    confirm = PasswordField("Repeat the password",
                            validators=[DataRequired(), EqualTo("password", message="The passwords differ.")])


class TotpForm(FlaskForm):
    code = StringField("Code from your authenticator app", validators=[DataRequired(), Length(max=12)],
                       filters=[strip_filter], render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
