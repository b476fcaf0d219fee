"""Forms for focus areas, bank questions, qualifications, a job's focus areas and its interview plan."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coordinator.focus.question_kind import QuestionKind
from coordinator.focus.rating import RATINGS_BEST_FIRST
from coordinator.forms import MultiCheckboxField, choices, no_control_characters, strip_filter
from coordinator.loops.models import SessionKind

TEXT_MAX = 4000


class FocusAreaForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Give the focus area a name."), Length(max=80),
                                           no_control_characters], filters=[strip_filter],
                       description="Short, as it appears in the coverage matrix: “Problem solving”.")
    description = TextAreaField("What it means", validators=[Optional(), Length(max=TEXT_MAX)],
                                description="What interviewers look for; they read this in their kit.")


def _guidance_field(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=TEXT_MAX)])


# One guidance box per rating level, named guidance_<value>, best level first.
for _rating in RATINGS_BEST_FIRST:
    setattr(FocusAreaForm, f"guidance_{_rating.value}", _guidance_field(f"What “{_rating.label}” looks like"))


class QuestionForm(FlaskForm):
    text = TextAreaField("Question", validators=[DataRequired(message="Write the question; it cannot be empty."),
                                                 Length(max=TEXT_MAX)],
                         filters=[strip_filter], description="As the interviewer asks it.")
    kind = SelectField("Kind", choices=choices(QuestionKind.choices()))
    focus_area_id = SelectField("Focus area", coerce=int,
                                validators=[DataRequired(message="Choose the focus area it gives evidence for.")])
    probes = TextAreaField("Follow-up probes", validators=[Optional(), Length(max=TEXT_MAX)],
                           description="One per line: what to ask when the answer stays vague.")


class JobFocusAreasForm(FlaskForm):
    # The service checks the ids with a clear message (no generic "not a valid choice").
    area_ids = MultiCheckboxField("Focus areas", coerce=int, validate_choice=False)


class PlanStepForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(message="Give the step a title."), Length(max=120),
                                             no_control_characters], filters=[strip_filter],
                        description="As the candidate sees it: “System design”, “Meet the team”.")
    kind = SelectField("Format", choices=choices(SessionKind.choices()))
    duration_min = IntegerField("Length (minutes)", default=45,
                                validators=[InputRequired(message="Give the length in minutes."),
                                            NumberRange(1, 480, message="A session lasts 1 minute to 8 hours.")])
    interviewer_count = IntegerField("Interviewers", default=1,
                                     validators=[InputRequired(message="Say how many people interview."),
                                                 NumberRange(1, 8, message="A session has 1 to 8 interviewers.")],
                                     description="1 for a one-on-one, 2 or more for a panel.")
    focus_area_ids = MultiCheckboxField("Focus areas this step covers", coerce=int, validate_choice=False)
    pool_from_qualified = BooleanField("Pool: everyone qualified for this step's focus areas")
    pool_ids = MultiCheckboxField("Or choose the pool", coerce=int, validate_choice=False)
    prep_min = IntegerField("Candidate preparation (minutes)", default=0,
                            validators=[Optional(), NumberRange(0, 480, message="0 minutes to 8 hours.")])
    prep_instructions = TextAreaField("What the candidate should prepare", validators=[Optional(),
                                                                                       Length(max=TEXT_MAX)])
