"""Forms of the public pages. They parse and check shapes; the rules stay in the
services, whose DomainError lands on the field it names (``error_field``)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Channel, FormFieldType
from .core.text import single_line
from .models import MeetingType

# Channels whose booking needs the attendee's phone or address.
PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.WHATSAPP})
NOTE_PREFIX = "q_"
# The honeypot: a text field people never see (moved off screen by pages.css, out of
# the tab order and hidden from screen readers), which form-filling bots fill in.
HONEYPOT = "website"


def _attrs(**extra) -> dict:
    return {"class": "input", **extra}


class PageForm(forms.Form):
    """Points each invalid input at its message (``aria-describedby``), so screen
    readers announce the message with the field."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class HoneypotForm(PageForm):
    """A form its template renders with ``scheduling/_honeypot.html``."""

    honeypot = HONEYPOT

    def caught_bot(self) -> bool:
        """Whether the honeypot was filled in: then a bot sent the form."""
        return bool(str(self.data.get(HONEYPOT, "")).strip())


class SingleLineCharField(forms.CharField):
    """A name: folded onto one line like every name that comes in (``text.single_line``),
    so an empty result is "required" again."""

    def to_python(self, value):
        return single_line(super().to_python(value)) or ""


class BookingForm(HoneypotForm):
    """The booker's details and the meeting type's own questions (``formFields``)."""

    name = SingleLineCharField(label=_("Your name"), max_length=300,
                           widget=forms.TextInput(_attrs(autocomplete="name")))
    email = forms.EmailField(label=_("Email"), max_length=254,
                             widget=forms.EmailInput(_attrs(autocomplete="email")))
    phone = forms.CharField(label=_("Phone number"), max_length=32, required=False,
                            widget=forms.TextInput(_attrs(autocomplete="tel", type="tel")))
    channel = forms.ChoiceField(label=_("Where should we meet?"), widget=forms.RadioSelect,
                                required=False)
    address = forms.CharField(label=_("Your address"), max_length=500, required=False,
                              widget=forms.TextInput(_attrs(autocomplete="street-address")))

    def __init__(self, *args, meeting_type: MeetingType, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting_type = meeting_type
        channels = meeting_type.channels or [Channel.CONNECT.value]
        labels = dict(Channel.choices)
        self.fields["channel"].choices = [(c, labels.get(c, c)) for c in channels]
        self.fields["channel"].initial = channels[0]
        if len(channels) == 1:
            self.fields["channel"].widget = forms.HiddenInput()
        if not set(channels) & PHONE_CHANNELS and not meeting_type.allow_phone_only_booking:
            del self.fields["phone"]
        if Channel.LOCAL_ATTENDEE not in channels:
            del self.fields["address"]
        for spec in meeting_type.form_fields or ():
            self.fields[NOTE_PREFIX + spec["key"]] = _question(spec)

    def clean_channel(self):
        return self.cleaned_data.get("channel") or self.fields["channel"].initial

    def notes(self) -> dict:
        """The answers to the meeting type's questions, keyed as ``formFields`` name them."""
        answers = {}
        for key, value in self.cleaned_data.items():
            if key.startswith(NOTE_PREFIX) and not _unanswered(value):
                answers[key[len(NOTE_PREFIX):]] = _json_value(value)
        if self.cleaned_data.get("address"):
            answers["address"] = self.cleaned_data["address"]
        return answers

    def question_fields(self):
        return [self[name] for name in self.fields if name.startswith(NOTE_PREFIX)]

    def error_field(self, service_field: str | None) -> str | None:
        """The form field a service's DomainError field names, if it is on this form."""
        mapping = {"attendee.email": "email", "attendee.firstname": "name",
                   "attendee.fullname": "name", "attendee.phone": "phone", "channel": "channel",
                   "location": "address"}
        name = mapping.get(service_field or "")
        if (service_field or "").startswith("attendee.notes."):
            name = NOTE_PREFIX + service_field.rsplit(".", 1)[-1]
        if name not in self.fields or self.fields[name].widget.is_hidden:
            return None  # shown above the form
        return name


def _unanswered(value) -> bool:
    # Not "in (None, '', [], False)": that would drop a number answered with 0.
    return value is None or value is False or value == "" or value == []


def _json_value(value):
    """An answer as the notes' JSON keeps it: dates as ISO text, numbers as numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _question(spec: dict) -> forms.Field:
    kind = spec.get("type", FormFieldType.TEXT)
    common = {"label": spec.get("label") or spec["key"], "required": bool(spec.get("required"))}
    options = [(o, o) for o in spec.get("options") or ()]
    if kind == FormFieldType.TEXTAREA:
        return forms.CharField(max_length=5000, widget=forms.Textarea(_attrs(rows=3)), **common)
    if kind == FormFieldType.EMAIL:
        return forms.EmailField(widget=forms.EmailInput(_attrs()), **common)
    if kind == FormFieldType.PHONE:
        return forms.CharField(max_length=32, widget=forms.TextInput(_attrs(type="tel")),
                               **common)
    if kind == FormFieldType.NUMBER:
        # Bounded, so every answer is a finite JSON number.
        return forms.DecimalField(max_digits=20, widget=forms.NumberInput(_attrs()), **common)
    if kind == FormFieldType.SELECT:
        return forms.ChoiceField(choices=[("", "—"), *options],
                                 widget=forms.Select(_attrs()), **common)
    if kind == FormFieldType.MULTISELECT:
        return forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple,
                                         **common)
    if kind == FormFieldType.RADIO:
        return forms.ChoiceField(choices=options, widget=forms.RadioSelect, **common)
    if kind == FormFieldType.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FormFieldType.DATE:
        return forms.DateField(widget=forms.DateInput(_attrs(type="date")), **common)
    return forms.CharField(max_length=1000, widget=forms.TextInput(_attrs()), **common)


class CancelForm(PageForm):
    reason = forms.CharField(label=_("Reason for cancelling (optional)"), required=False,
                             max_length=2000, widget=forms.Textarea(_attrs(rows=3)))


class DeclineForm(PageForm):
    reason = forms.CharField(label=_("Message to the attendee (optional)"), required=False,
                             max_length=2000, widget=forms.Textarea(_attrs(rows=3)))


class RoomJoinForm(HoneypotForm):
    name = SingleLineCharField(label=_("Your name"), max_length=300,
                           widget=forms.TextInput(_attrs(autocomplete="name")))
    email = forms.EmailField(label=_("Email"), max_length=254,
                             widget=forms.EmailInput(_attrs(autocomplete="email")))
