"""Scorecard and decision forms.

A scorecard form is built per scorecard: one field set (`area_<id>`) per focus area the interviewer scores, taken
from their assignment. The fields only carry what was typed; the rules (scales, lengths, completeness on submit)
are the service's, whose messages the view puts back on these fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, FormField, HiddenField, RadioField, TextAreaField

from coordinator.focus.models import FocusArea
from coordinator.focus.rating import Rating, Recommendation
from coordinator.forms import choices
from coordinator.scorecards.models import STAR_FIELDS, Decision
from coordinator.scorecards.services import TEXT_FIELDS, AreaInput, ScorecardInput

#: the rating field's extra choice: the area could not be assessed (a reason is then required)
NOT_ASSESSED = "not_assessed"


def _choice_data(field: RadioField) -> str | None:
    value = field.data
    return value if isinstance(value, str) and value else None


class AreaForm(Form):
    """One focus area: a rating on the scale (or not assessed, with a reason) and the STAR evidence."""

    rating = RadioField("Rating", validate_choice=False,
                        choices=choices(Rating.choices() + [(NOT_ASSESSED, "Not assessed")]))
    not_assessed_reason = TextAreaField("Why it could not be assessed")
    situation = TextAreaField(STAR_FIELDS[0][1], description=STAR_FIELDS[0][2])
    task = TextAreaField(STAR_FIELDS[1][1], description=STAR_FIELDS[1][2])
    action = TextAreaField(STAR_FIELDS[2][1], description=STAR_FIELDS[2][2])
    result = TextAreaField(STAR_FIELDS[3][1], description=STAR_FIELDS[3][2])
    notes = TextAreaField("Notes", description="Anything else worth knowing: follow-ups, doubts, context.")


class ScorecardForm(FlaskForm):
    #: the scorecard's version when the page was loaded (0 before the first save)
    version = HiddenField()
    recommendation = RadioField("Overall recommendation",
                                choices=choices(Recommendation.choices()), validate_choice=False)
    takeaways = TextAreaField("Key takeaways",
                              description="Two or three sentences the debrief should hear first.")
    #: amendments only
    reason = TextAreaField("Why are you amending it?",
                           description="Kept in the scorecard's history, shown to the hiring team.")

    area_fields: list[tuple[FocusArea, Any]]

    def posted_version(self) -> int | None:
        raw = (self.version.data or "").strip()
        if not raw.isdigit() or len(raw) > 9:
            return None
        return int(raw)


def scorecard_form(areas: Sequence[FocusArea], data: ScorecardInput | None = None, version: int = 0,
                   formdata: Any = None, **kwargs: Any) -> ScorecardForm:
    """A form with one field set per area. With `data` (a GET) it shows the saved values; otherwise the posted
    ones."""

    class _Form(ScorecardForm):
        pass

    for area in areas:
        setattr(_Form, f"area_{area.id}", FormField(AreaForm, label=area.name))
    if data is not None:
        initial: dict[str, Any] = {"version": str(version), "recommendation": data.recommendation,
                                   "takeaways": data.takeaways}
        for values in data.areas:
            initial[f"area_{values.focus_area_id}"] = {
                "rating": NOT_ASSESSED if values.is_not_assessed and not values.rating else values.rating,
                "not_assessed_reason": values.not_assessed_reason,
                **{name: getattr(values, name) for name in TEXT_FIELDS}}
        form = _Form(formdata=None, data=initial, **kwargs)
    else:
        form = _Form(**({"formdata": formdata} if formdata is not None else {}), **kwargs)
    form.area_fields = [(area, getattr(form, f"area_{area.id}")) for area in areas]
    return form


def _text(field: Any) -> str:
    value = field.data
    return value if isinstance(value, str) else ""


def input_of(form: ScorecardForm) -> ScorecardInput:
    """What the form holds, as the service's plain data."""
    data = ScorecardInput(recommendation=_choice_data(form.recommendation), takeaways=_text(form.takeaways))
    for area, field in form.area_fields:
        sub = field.form
        choice = _choice_data(sub.rating)
        data.areas.append(AreaInput(
            focus_area_id=area.id, rating=None if choice == NOT_ASSESSED else choice,
            is_not_assessed=choice == NOT_ASSESSED, not_assessed_reason=_text(sub.not_assessed_reason),
            **{name: _text(getattr(sub, name)) for name in TEXT_FIELDS}))
    return data


def put_errors(form: ScorecardForm, errors: dict[tuple[int | None, str], str]) -> None:
    """Show the service's messages on the fields they are about."""
    for (area_id, name), message in errors.items():
        target = form
        if area_id is not None:
            sub = getattr(form, f"area_{area_id}", None)
            target = sub.form if sub is not None else None
        field = getattr(target, name, None) if target is not None else None
        if field is not None:
            field.errors = [*(field.errors or []), message]
        else:
            form.form_errors.append(message)


class DecisionForm(FlaskForm):
    outcome = RadioField("Decision", choices=choices(Decision.choices()), validate_choice=False)
    rationale = TextAreaField("Rationale", description="What the decision rests on; the hiring team reads it later.")
    accept_missing = BooleanField("Decide without the missing scorecards")
    #: the decision in force when the page was shown (its id, or "none"): a newer one by someone else is a 409
    seen_decision = HiddenField()
