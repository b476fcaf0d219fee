"""Reminder e-mails: what each one says, in the recipient's zone, and bytes that mail programs read."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator import mail
from coordinator.mail import MessageError, build_email
from coordinator.reminders.messages import Context, Person, SessionInfo, compose
from coordinator.reminders.models import ReminderKind as K

START = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, 14:30 in Kolkata
SESSION = SessionInfo(title="System design", kind_label="Panel", duration_min=60, start=START,
                      end=START + timedelta(hours=1), where="Room 4", video="https://meet.example/abc",
                      interviewers=(Person("Jonas Weber", "Staff Engineer"), Person("Priya Nair", "Senior Engineer")),
                      shadows=(Person("Sam Shadow"),), prep="Bring a laptop.")
RITA = Person("Rita Recruiter", "Recruiter")


def ctx(kind: K, **kw) -> Context:
    base = dict(kind=kind, now=START - timedelta(hours=24), recipient="Jonas Weber", tz="Europe/Berlin",
                candidate="Ada Lovelace", job_title="Senior Data Engineer", recruiter=RITA,
                loop_url="http://x/loops/1", event_dt=START, session=SESSION, kit_url="http://x/kit")
    base.update(kw)
    return Context(**base)


def test_prep_day_names_the_session_in_the_recipients_zone_with_the_kit_link():
    m = compose(ctx(K.PREP_DAY))
    assert m.subject == "Prepare: interview with Ada Lovelace — System design (Wed 10 Mar, 10:00 CET)"
    text = m.text()
    assert "Hello Jonas Weber," in text
    assert "in about 24 hours, on Wed 10 Mar 2027, 10:00–11:00 CET" in text
    assert "Open your interview kit: http://x/kit" in text
    assert "Interviewers: Jonas Weber (Staff Engineer); Priya Nair (Senior Engineer)" in text
    in_kolkata = compose(ctx(K.PREP_DAY, recipient="Priya Nair", tz="Asia/Kolkata")).text()
    assert "Wed 10 Mar 2027, 14:30–15:30 IST (your time zone, Asia/Kolkata)" in in_kolkata


def test_prep_hour_and_the_scorecard_reminders():
    hour = compose(ctx(K.PREP_HOUR, now=START - timedelta(hours=1)))
    assert hour.subject.startswith("In 1 hour: interview with Ada Lovelace — System design at 10:00")
    assert ("Join the video call", "https://meet.example/abc") in hour.actions
    due = START + timedelta(hours=25)
    after = compose(ctx(K.SCORECARD_HOUR, now=START + timedelta(hours=2), event_dt=due, scorecard_url="http://x/sc"))
    assert "it is due by Thu 11 Mar, 11:00 CET" in after.text()
    assert ("Write your scorecard", "http://x/sc") in after.actions
    last = compose(ctx(K.SCORECARD_DUE, now=due, event_dt=due))
    assert last.subject == "Last call: your scorecard for Ada Lovelace is due Thu 11 Mar, 11:00 CET"
    late = compose(ctx(K.SCORECARD_DUE, now=due + timedelta(hours=22), event_dt=due))
    assert "was due at Thu 11 Mar, 11:00 CET (22 hours ago)" in late.text()


def test_the_escalation_says_who_and_since_when():
    due = START + timedelta(hours=25)
    m = compose(ctx(K.SCORECARD_OVERDUE, recipient="Rita Recruiter", tz="Europe/London", about="Jonas Weber",
                    event_dt=due, now=due + timedelta(hours=2), scorecards_in=(1, 3),
                    decision_due_on=date(2027, 3, 15)))
    assert m.subject == "Overdue scorecard: Jonas Weber — Ada Lovelace, System design"
    text = m.text()
    assert "Jonas Weber's scorecard for Ada Lovelace (System design) has been overdue since Thu 11 Mar, 10:00 GMT" \
        in text
    assert "(2 hours)" in text and "Scorecards in:" in text and "1 of 3" in text
    assert "Monday 15 March 2027" in text


def test_debrief_ready_and_decision_reminders():
    ready = compose(ctx(K.DEBRIEF_READY, recipient="Hannah", session=None, scorecards_in=(4, 4),
                        debrief_url="http://x/debrief", decision_due_on=date(2027, 3, 15)))
    assert ready.subject == "Debrief ready: all scorecards for Ada Lovelace are in"
    assert "all 4 scorecards are submitted" in ready.text()
    assert ("Open the debrief", "http://x/debrief") in ready.actions
    soon = compose(ctx(K.DECISION_SOON, session=None, decision_due_on=date(2027, 3, 15),
                       now=datetime(2027, 3, 13, 8, 0, tzinfo=UTC), missing=("Jonas Weber",), scorecards_in=(3, 4)))
    assert soon.subject == "Decision due in 2 days: Ada Lovelace (Senior Data Engineer)"
    assert ("Still missing", "Jonas Weber") in soon.facts
    today = compose(ctx(K.DECISION_TODAY, session=None, decision_due_on=date(2027, 3, 15),
                        now=datetime(2027, 3, 15, 8, 0, tzinfo=UTC)))
    assert today.subject.startswith("Decision due today:")
    late = compose(ctx(K.DECISION_TODAY, session=None, decision_due_on=date(2027, 3, 15),
                       now=datetime(2027, 3, 18, 8, 0, tzinfo=UTC)))
    assert late.subject == "Decision overdue: Ada Lovelace (Senior Data Engineer), due 3 days ago"


def test_the_candidate_gets_the_days_itinerary_in_their_zone_and_nothing_internal():
    second = SessionInfo(title="Hiring manager", kind_label="One-on-one", duration_min=45,
                         start=START + timedelta(hours=2), end=START + timedelta(hours=2, minutes=45),
                         interviewers=(Person("Hannah Manager", "Engineering Manager"),))
    m = compose(ctx(K.CANDIDATE_DAY, recipient="Ada Lovelace", tz="Asia/Kolkata", itinerary=(SESSION, second),
                    later_days=(date(2027, 3, 12),), kit_url="", event_dt=START))
    text = m.text()
    assert m.subject == "Reminder: your interviews for Senior Data Engineer on Wed 10 Mar, from 14:30 IST"
    assert "Dear Ada Lovelace," in text
    assert "All times are in your time zone (Asia/Kolkata, IST)." in text
    assert "14:30–15:30  System design (Panel, 60 min)" in text
    assert "16:30–17:15  Hiring manager (One-on-one, 45 min)" in text
    assert "With: Jonas Weber (Staff Engineer); Priya Nair (Senior Engineer)" in text
    assert "How to prepare: Bring a laptop." in text
    assert "Friday 12 March 2027" in text
    assert "kit" not in text.lower() and "@" not in text


def test_an_interview_across_a_clock_change_names_both_abbreviations():
    night = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT; two hours later it is 02:30 EST
    late = SessionInfo(title="System design", kind_label="Panel", duration_min=120, start=night,
                       end=night + timedelta(hours=2))
    itinerary = compose(ctx(K.CANDIDATE_DAY, tz="America/New_York", itinerary=(late,), kit_url="", event_dt=night))
    assert "01:30 EDT – 02:30 EST  System design (Panel, 120 min)" in itinerary.text()
    prep = compose(ctx(K.PREP_DAY, tz="America/New_York", session=late, now=night - timedelta(hours=24)))
    assert "on Sun 1 Nov 2026, 01:30 EDT – 02:30 EST" in prep.text()


def test_html_escapes_what_people_typed():
    evil = SessionInfo(title="<script>alert(1)</script>", kind_label="Panel", duration_min=60, start=START,
                       end=START + timedelta(hours=1))
    html = compose(ctx(K.PREP_HOUR, session=evil)).html()
    assert "<script>" not in html and "&lt;script&gt;" in html


def _build(**kw) -> bytes:
    base = dict(sender=("Rita Recruiter via coordinator", "coordinator@corp.example"),
                to=("Jonas Weber", "jonas@corp.example"), subject="Prepare: interview", text="Hello\n",
                html="<p>Hello</p>", reply_to=("Rita Recruiter", "rita@corp.example"), date=START,
                message_id="<reminder.1.abc@corp.example>", boundary="=_coordinator_reminder_1")
    base.update(kw)
    return build_email(**base)


def test_the_bytes_are_a_multipart_email_that_parsers_read():
    raw = _build(to=("Jürgen Müller, Jr.", "jurgen@corp.example"), subject="Vorbereitung: Gespräch mit Zoë — 10:00",
                 text="Grüße – bis morgen\n" * 40)
    assert all(b < 128 for b in raw) and b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert str(msg["Subject"]) == "Vorbereitung: Gespräch mit Zoë — 10:00"
    assert msg["To"].addresses[0].display_name == "Jürgen Müller, Jr."
    assert msg["To"].addresses[0].addr_spec == "jurgen@corp.example"
    assert msg["Reply-To"].addresses[0].addr_spec == "rita@corp.example"
    assert msg["Message-ID"] == "<reminder.1.abc@corp.example>"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Grüße – bis morgen\n" * 40
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hello</p>"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78  # quoted-printable keeps lines short
    assert not msg.defects


def test_no_header_can_be_injected_and_bad_addresses_are_refused():
    raw = _build(subject="Hi\r\nBcc: everyone@corp.example", to=('Eve"\r\nBcc: x@y', "eve@corp.example"))
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert msg["Bcc"] is None
    assert "Bcc" in str(msg["Subject"])  # kept as text, on one line
    for bad in ("", "not an address", "a@b@c", "eve@corp.example\r\nBcc: x@y", "<eve@corp.example>"):
        with pytest.raises(MessageError):
            _build(to=("Eve", bad))


_HEADER_TEXT = st.text(alphabet=st.sampled_from(sorted(set(string.printable[:95]) | set("äé—"))), max_size=70).map(
    lambda text: " ".join(text.split()))


@settings(max_examples=300, deadline=None)
@given(text=_HEADER_TEXT)
def test_a_header_written_as_it_is_is_what_the_standard_library_writes(text):
    """mail.py skips the header registry for values it would write unchanged; never for anything else."""
    message_id = "<" + "".join(c for c in text if c not in " <>@") + "x@corp.example>"
    for name, value in (("Subject", text), ("X-Coordinator-Link", text), ("To", ((text, "p@corp.example"),)),
                        ("Message-ID", message_id)):
        written = mail._as_written(name, value)
        if written is not None:
            assert written == mail._standard(name, value)
