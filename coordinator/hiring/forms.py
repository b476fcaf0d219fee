"""Job and candidate forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from coordinator.forms import TimezoneField, choices, no_control_characters, strip_filter
from coordinator.hiring.models import CandidateStage, JobStatus

NOTES_MAX = 10_000


class JobForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=160), no_control_characters],
                        filters=[strip_filter])
    department = StringField("Department", validators=[DataRequired(), Length(max=120), no_control_characters],
                             filters=[strip_filter])
    hiring_manager_id = SelectField("Hiring manager", coerce=int,
                                    validators=[DataRequired(message="Choose the hiring manager.")])
    recruiter_id = SelectField("Recruiter", coerce=int, validators=[DataRequired(message="Choose the recruiter.")])
    status = SelectField("Status", choices=choices(JobStatus.choices()), default=JobStatus.OPEN.value)
    feedback_due_hours = IntegerField(
        "Scorecards due (hours after each interview)", default=24,
        validators=[Optional(), NumberRange(min=1, max=336, message="Between 1 hour and 336 hours (two weeks).")],
        description="Interviewers see their scorecard as overdue after this; 24 keeps memories fresh.")


class CandidateForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=160), no_control_characters],
                       filters=[strip_filter])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
                       filters=[strip_filter])
    timezone = TimezoneField("Time zone", description="The candidate's itinerary and invites use this zone.")
    job_id = SelectField("Job", coerce=int, validators=[DataRequired(message="Choose the job.")])
    stage = SelectField("Stage", choices=choices(CandidateStage.choices()))
    first_interview_emphasis = TextAreaField(
        "What the first interview emphasised", validators=[Optional(), Length(max=NOTES_MAX)],
        description="Skills and experience the candidate showed; interviewers read this in their kit.")
    probe_further = TextAreaField(
        "What to probe further", validators=[Optional(), Length(max=NOTES_MAX)],
        description="Doubts and open questions the second round should settle.")
