"""Admin forms: a new API key, a new webhook endpoint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from coordinator.api.models import WebhookEvent
from coordinator.auth.permissions import API_SCOPES
from coordinator.forms import MultiCheckboxField, choices, strip_filter

_RESOURCE_LABELS = {"jobs": "Jobs", "candidates": "Candidates", "loops": "Loops and sessions",
                    "focus_areas": "Focus areas", "scorecards": "Submitted scorecards", "decisions": "Decisions"}


def scope_choices() -> list[tuple[str, str]]:
    words = {"read": "read", "write": "read and write"}
    return [(f"{resource}:{action}", f"{_RESOURCE_LABELS[resource]}: {words[action]}")
            for resource, actions in API_SCOPES.items() for action in actions]


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the key a name."), Length(max=120)],
                       filters=[strip_filter], description="Which integration uses it, e.g. “Greenhouse sync”.")
    scopes = MultiCheckboxField("Scopes", choices=choices(scope_choices()),
                                validators=[DataRequired("Choose at least one scope.")])


class WebhookForm(FlaskForm):
    url = StringField("Receiver URL", validators=[DataRequired("Give the receiver's address."), Length(max=500)],
                      filters=[strip_filter], description="Where coordinator POSTs the events (https://…).")
    description = StringField("Description", validators=[Length(max=200)], filters=[strip_filter])
    events = MultiCheckboxField("Events", choices=choices(WebhookEvent.choices()),
                                validators=[DataRequired("Choose at least one event.")])
