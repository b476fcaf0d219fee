"""Forms for assigning focus areas and questions, and for what a session covers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, Optional

from coordinator.focus.question_kind import QuestionKind
from coordinator.forms import MultiCheckboxField, choices

TEXT_MAX = 4000


class AssignmentForm(FlaskForm):
    """One interviewer's kit: focus areas, questions, and optionally a question written for this loop."""

    # Choices are set by the view; the service checks every id with a clear message, so no generic choice error.
    area_ids = MultiCheckboxField("Focus areas", coerce=int, validate_choice=False)
    question_ids = MultiCheckboxField("Questions", coerce=int, validate_choice=False)
    new_text = TextAreaField("Question for this loop only", validators=[Optional(), Length(max=TEXT_MAX)],
                             description="Only this loop's kits see it; the shared bank stays as it is.")
    new_kind = SelectField("Kind", choices=choices(QuestionKind.choices()),
                           default=QuestionKind.BEHAVIORAL.value, validate_choice=False)
    new_focus_area_id = SelectField("Focus area", coerce=int, validate_choice=False)
    new_probes = TextAreaField("Follow-up probes", validators=[Optional(), Length(max=TEXT_MAX)],
                               description="One per line.")


class SessionAreasForm(FlaskForm):
    area_ids = MultiCheckboxField("Covers", coerce=int, validate_choice=False)
