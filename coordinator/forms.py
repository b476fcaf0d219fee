"""Fields and validators shared by every feature's forms."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup
from wtforms import Field, SelectChoice, SelectField, SelectMultipleField, widgets
from wtforms.fields.choices import Choice
from wtforms.validators import ValidationError

from coordinator.timeutil import all_timezones, is_valid_timezone


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """Options for a select field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class _ZoneSelect(widgets.Select):
    """A select whose plain options are rendered once per process: the zone list's ~600 <option>s are the same on
    every page (only which one is selected changes), and rendering them each time made the user and candidate
    forms the slowest pages to draw. The HTML is the standard widget's, byte for byte."""

    @classmethod
    def render_option(cls, choice: Choice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        return _plain_option(choice.value, choice.label, choice.selected)


@functools.lru_cache(maxsize=4096)
def _plain_option(value: str, label: str, selected: bool) -> Markup:
    return widgets.Select.render_option(Choice(value, label, selected, None))


#: the zone list as select options, built once
_ZONE_CHOICES = tuple(choices((z, z.replace("_", " ")) for z in all_timezones()))


class TimezoneField(SelectField):
    """An IANA zone chosen from the list; anything else is a field error, not a crash."""

    widget = _ZoneSelect()

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, choices=_ZONE_CHOICES, validate_choice=False, **kwargs)

    def pre_validate(self, form: Any) -> None:
        if not is_valid_timezone(self.data):
            raise ValidationError("Choose a time zone from the list.")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def strip_filter(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form: Any, field: Field) -> None:
    """Names and titles are single lines; a newline or control byte would break invites and logs."""
    value = field.data or ""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError("Use a single line without control characters.")


def form_status(form: Any) -> int:
    """A form shown again with its errors answers 400 (the request then keeps nothing), otherwise 200."""
    return 400 if form.errors or form.form_errors else 200


def first_error(form: Any, default: str) -> str:
    """The first message of the first field that failed, or `default`: what a button's page says when it has no
    form to show again."""
    return next((e for field in form for e in field.errors), default)


def apply_service_error(form: Any, exc: Exception) -> None:
    """Show a service's refusal on the field it names (its `field`), or above the form when it names none."""
    message = getattr(exc, "message", None) or str(exc)
    field = getattr(form, getattr(exc, "field", None) or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
