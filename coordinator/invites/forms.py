"""Forms of the send-when-ready step: the candidate's message, and the Send and Hold buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length, Optional

MESSAGE_MAX = 4000


class CandidateMessageForm(FlaskForm):
    message = TextAreaField(
        "The candidate's message",
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        description="Replaces the opening of the candidate's invitation. Leave empty for the standard text.",
    )
    for_job = BooleanField("Use it for every loop of this job")


class SendForm(FlaskForm):
    """Send or hold: a button with its CSRF token."""
