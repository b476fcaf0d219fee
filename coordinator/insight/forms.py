"""The reports' filter: a period and a job or department, read from the query string."""

from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from coordinator.insight.services import MAX_PERIOD_DAYS

DEFAULT_DAYS = 90


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    first = DateField("From", validators=[Optional()])
    last = DateField("Until", validators=[Optional()])
    job = SelectField("Job", choices=[], default="")
    department = SelectField("Department", choices=[], default="")

    def fill(self, jobs: list[tuple[int, str, str]], today) -> None:
        """Choices from the jobs the viewer may see ((id, title, department)); empty dates default to the last 90
        days up to `today`."""
        self.job.choices = [("", "All jobs")] + [(str(i), f"{t} ({d})") for i, t, d in jobs]
        self.department.choices = [("", "All departments")] + [(d, d) for d in sorted({d for _, _, d in jobs})]
        if self.last.data is None and not any(self.last.raw_data or []):
            self.last.data = today
        if self.first.data is None and not any(self.first.raw_data or []):
            self.first.data = self.last.data - timedelta(days=DEFAULT_DAYS - 1) if self.last.data else None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return False
        if self.first.data > self.last.data:
            self.last.errors.append("The end of the period comes before its start.")
            return False
        if (self.last.data - self.first.data).days + 1 > MAX_PERIOD_DAYS:
            self.last.errors.append(f"Choose a period of at most {MAX_PERIOD_DAYS} days.")
            return False
        return True

    @property
    def job_id(self) -> int | None:
        return int(self.job.data) if self.job.data else None

    def messages(self) -> list[str]:
        return [f"{getattr(self, name).label.text}: {e}" for name, errors in self.errors.items() for e in errors]
