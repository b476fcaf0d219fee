"""Reminder e-mails: plain data in, subject, text and HTML out (no Flask, no database).

`compose(context)` writes the message of one reminder in the recipient's time zone; `coordinator.mail.build_email`
turns it into the bytes the outbox stores and the SMTP server receives (multipart/alternative: text/plain and
text/html, UTF-8, quoted-printable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape as _escape

from coordinator.mail import one_line
from coordinator.reminders.kinds import ReminderKind
from coordinator.timeutil import (
    as_utc,
    format_clock_range,
    format_day,
    format_instant,
    format_when,
    to_local,
    zone_abbreviation,
)


@dataclass(frozen=True)
class Person:
    name: str
    job_title: str = ""

    @property
    def described(self) -> str:
        """'Jonas Weber (Staff Engineer)': a name and job title, never an address."""
        return f"{one_line(self.name, 160)} ({one_line(self.job_title, 120)})" if self.job_title else \
            one_line(self.name, 160)


@dataclass(frozen=True)
class SessionInfo:
    title: str
    kind_label: str
    duration_min: int
    start: datetime
    end: datetime
    where: str = ""
    video: str = ""
    interviewers: tuple[Person, ...] = ()
    shadows: tuple[Person, ...] = ()
    prep: str = ""


@dataclass(frozen=True)
class Context:
    """What one reminder says, as plain values."""

    kind: ReminderKind
    now: datetime
    recipient: str
    #: the recipient's zone: every time in the message is shown in it, named
    tz: str
    candidate: str
    job_title: str
    recruiter: Person
    loop_url: str
    event_dt: datetime
    session: SessionInfo | None = None
    is_shadow: bool = False
    kit_url: str = ""
    scorecard_url: str = ""
    debrief_url: str = ""
    #: whose scorecard an escalation is about
    about: str = ""
    decision_due_on: date | None = None
    #: (submitted, expected) scorecards of the loop, when known
    scorecards_in: tuple[int, int] | None = None
    #: the people whose scorecards are still missing
    missing: tuple[str, ...] = ()
    #: the candidate's sessions of the day the reminder is about
    itinerary: tuple[SessionInfo, ...] = ()
    #: the candidate's other interview days after it
    later_days: tuple[date, ...] = ()


@dataclass
class Message:
    subject: str
    greeting: str
    paragraphs: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: the candidate's itinerary: (heading, [(line, detail lines)])
    schedule: list[tuple[str, list[tuple[str, list[str]]]]] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [self.greeting, ""]
        for p in self.paragraphs:
            lines += [p, ""]
        if self.facts:
            width = max(len(label) for label, _ in self.facts) + 1
            lines += [f"{label + ':':<{width}} {value}" for label, value in self.facts] + [""]
        for heading, items in self.schedule:
            lines.append(heading)
            for line, details in items:
                lines.append(f"  {line}")
                lines += [f"      {d}" for d in details]
            lines.append("")
        for label, url in self.actions:
            lines.append(f"{label}: {url}")
        if self.actions:
            lines.append("")
        lines += self.closing
        return "\n".join(lines).rstrip() + "\n"

    def html(self) -> str:
        """The same message as HTML; everything people typed is escaped."""
        e = _escape
        out = [f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>{_STYLE}</style></head><body>\n',
               f"<p>{e(self.greeting)}</p>\n"]
        out += [f"<p>{e(p)}</p>\n" for p in self.paragraphs]
        if self.facts:
            out.append("<table>\n")
            out += [f'<tr><td class="m">{e(label)}</td><td>{e(value)}</td></tr>\n' for label, value in self.facts]
            out.append("</table>\n")
        for heading, items in self.schedule:
            out.append(f"<h3>{e(heading)}</h3>\n<ul>\n")
            for line, details in items:
                extra = "".join(f'<br><span class="m">{e(d)}</span>' for d in details)
                out.append(f"<li><strong>{e(line)}</strong>{extra}</li>\n")
            out.append("</ul>\n")
        out += [f'<p><a href="{e(url)}">{e(label)}</a></p>\n' for label, url in self.actions]
        out += [f'<p class="m">{e(line)}</p>\n' for line in self.closing]
        out.append("</body></html>\n")
        return "".join(out)


_STYLE = ("body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2933;"
          "line-height:1.5}td{padding:4px 12px 4px 0;vertical-align:top}.m{color:#52606d}a{color:#0a58ca}")


def _when(s: SessionInfo, tz: str) -> str:
    return format_when(s.start, s.end, tz)


def _at(dt: datetime, tz: str) -> str:
    return format_instant(dt, tz, "%a %d %b, %H:%M")


def _ago(later: datetime, earlier: datetime) -> str:
    """The time from `earlier` to `later`, in words ('3 hours')."""
    minutes = max(0, int((as_utc(later) - as_utc(earlier)).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def _day(d: date) -> str:
    return format_day(d, long=True)


def _session_facts(s: SessionInfo, tz: str, *, with_people: bool = True) -> list[tuple[str, str]]:
    facts = [("Session", f"{one_line(s.title)} — {s.kind_label}, {s.duration_min} min"),
             ("When", f"{_when(s, tz)} (your time zone, {tz})")]
    if s.where:
        facts.append(("Where", one_line(s.where)))
    if s.video:
        facts.append(("Video", s.video))
    if with_people and s.interviewers:
        facts.append(("Interviewers", "; ".join(p.described for p in s.interviewers)))
    if with_people and s.shadows:
        facts.append(("Shadowing", "; ".join(p.described for p in s.shadows)))
    return facts


def _session(c: Context) -> SessionInfo:
    """The session a reminder about one interview is for (every such reminder has one)."""
    if c.session is None:
        raise ValueError(f"a {c.kind.value} reminder needs its session")
    return c.session


def _hello(c: Context) -> str:
    return f"Hello {one_line(c.recipient, 160)},"


def _candidate_fact(c: Context) -> tuple[str, str]:
    return "Candidate", f"{one_line(c.candidate)} ({one_line(c.job_title)})"


def _session_fact(s: SessionInfo, c: Context) -> tuple[str, str]:
    return "Session", f"{one_line(s.title)}, {_when(s, c.tz)}"


def _add_progress(m: Message, c: Context) -> None:
    """How many scorecards are in, for the team's messages, when known."""
    if c.scorecards_in is not None:
        m.facts.append(("Scorecards in", f"{c.scorecards_in[0]} of {c.scorecards_in[1]}"))


def _to_interviewer(c: Context, *, subject: str, paragraphs: list[str], facts: list[tuple[str, str]]) -> Message:
    """A message to an interviewer: greeted by name, signed for the recruiter they can reply to."""
    return Message(subject=subject, greeting=_hello(c), paragraphs=paragraphs, facts=facts, closing=_signature(c))


def _to_team(c: Context, *, subject: str, paragraphs: list[str], facts: list[tuple[str, str]] | None = None) -> Message:
    """A message to the loop's recruiter and hiring manager, saying why they receive it."""
    return Message(subject=subject, greeting=_hello(c), paragraphs=paragraphs, facts=facts or [],
                   closing=["You receive this as the recruiter or hiring manager of this loop."])


def _signature(c: Context) -> list[str]:
    return [f"Sent by coordinator for {c.recruiter.described}, recruiter — reply to this e-mail to reach them."]


def compose(c: Context) -> Message:
    """The message of one reminder, every time in the recipient's zone."""
    return _COMPOSERS[c.kind](c)


def _prep_day(c: Context) -> Message:
    s = _session(c)
    role = "shadow" if c.is_shadow else "interview"
    m = _to_interviewer(
        c,
        subject=f"Prepare: interview with {one_line(c.candidate, 120)} — {one_line(s.title, 80)} "
                f"({_at(s.start, c.tz)})",
        paragraphs=[f"You {role} {one_line(c.candidate)} for {one_line(c.job_title)} in about "
                    f"{_ago(s.start, c.now)}, on {_when(s, c.tz)}.",
                    "Your interview kit has the candidate's background, what to probe further, your focus areas "
                    "with their rating guidance, your questions and the timing plan. Fifteen minutes with it now "
                    "makes the interview better for everyone."],
        facts=[_candidate_fact(c), *_session_facts(s, c.tz)],
    )
    if c.kit_url:
        m.actions.append(("Open your interview kit", c.kit_url))
    m.actions.append(("The loop", c.loop_url))
    return m


def _prep_hour(c: Context) -> Message:
    s = _session(c)
    m = _to_interviewer(
        c,
        subject=f"In 1 hour: interview with {one_line(c.candidate, 120)} — {one_line(s.title, 80)} at "
                f"{format_instant(s.start, c.tz, '%H:%M')}",
        paragraphs=[f"Your interview with {one_line(c.candidate)} starts at {format_instant(s.start, c.tz, '%H:%M')} "
                    f"(in about {_ago(s.start, c.now)})."],
        facts=_session_facts(s, c.tz),
    )
    if s.video:
        m.actions.append(("Join the video call", s.video))
    if c.kit_url:
        m.actions.append(("Your interview kit", c.kit_url))
    return m


def _ask_for_scorecard(c: Context, *, subject: str, paragraphs: list[str], facts: list[tuple[str, str]]) -> Message:
    """An interviewer's reminder that their scorecard is wanted: it ends with the link to write it."""
    m = _to_interviewer(c, subject=subject, paragraphs=paragraphs, facts=facts)
    m.actions.append(("Write your scorecard", c.scorecard_url or c.loop_url))
    return m


def _scorecard_hour(c: Context) -> Message:
    s = _session(c)
    return _ask_for_scorecard(
        c,
        subject=f"Write your scorecard: {one_line(c.candidate, 120)} — {one_line(s.title, 80)}",
        paragraphs=[f"Thank you for interviewing {one_line(c.candidate)}. Write your scorecard while the interview "
                    f"is fresh: it is due by {_at(c.event_dt, c.tz)}.",
                    "Rate each of your focus areas with the evidence you heard (situation, task, action, result). "
                    "You see your colleagues' scorecards once you have submitted your own."],
        facts=[_candidate_fact(c), _session_fact(s, c),
               ("Due", f"{_at(c.event_dt, c.tz)} (your time zone, {c.tz})")],
    )


def _scorecard_due(c: Context) -> Message:
    s = _session(c)
    late = c.now > c.event_dt
    status = (f"was due at {_at(c.event_dt, c.tz)} ({_ago(c.now, c.event_dt)} ago)" if late
              else f"is due at {_at(c.event_dt, c.tz)}")
    return _ask_for_scorecard(
        c,
        subject=f"Last call: your scorecard for {one_line(c.candidate, 120)} "
                + (f"was due {_at(c.event_dt, c.tz)}" if late else f"is due {_at(c.event_dt, c.tz)}"),
        paragraphs=[f"Your scorecard for {one_line(c.candidate)} ({one_line(s.title)}) {status}. The hiring team "
                    "decides from the scorecards and has promised the candidate an answer: please submit yours now. "
                    "If it stays missing, the recruiter and the hiring manager are told."],
        facts=[_candidate_fact(c), _session_fact(s, c)],
    )


def _scorecard_overdue(c: Context) -> Message:
    s = _session(c)
    m = _to_team(
        c,
        subject=f"Overdue scorecard: {one_line(c.about, 120)} — {one_line(c.candidate, 120)}, {one_line(s.title, 80)}",
        paragraphs=[f"{one_line(c.about)}'s scorecard for {one_line(c.candidate)} ({one_line(s.title)}) has been "
                    f"overdue since {_at(c.event_dt, c.tz)} ({_ago(c.now, c.event_dt)}). They had a reminder after "
                    "the interview and a last call when it was due."],
        facts=[("Interviewer", one_line(c.about)),
               _candidate_fact(c),
               _session_fact(s, c),
               ("Overdue since", f"{_at(c.event_dt, c.tz)} (your time zone, {c.tz})")],
    )
    _add_progress(m, c)
    if c.decision_due_on:
        m.facts.append(("Decision promised by", _day(c.decision_due_on)))
    m.actions.append(("Open the loop", c.debrief_url or c.loop_url))
    return m


def _debrief_ready(c: Context) -> Message:
    n = c.scorecards_in[1] if c.scorecards_in else 0
    m = _to_team(
        c,
        subject=f"Debrief ready: all scorecards for {one_line(c.candidate, 120)} are in",
        paragraphs=[f"The last scorecard for {one_line(c.candidate)} ({one_line(c.job_title)}) came in on "
                    f"{_at(c.event_dt, c.tz)}: all {n} scorecard{'s' if n != 1 else ''} are submitted. Open the "
                    "debrief to compare them side by side and record the decision."],
    )
    if c.decision_due_on:
        m.facts.append(("Decision promised by", _day(c.decision_due_on)))
    m.actions.append(("Open the debrief", c.debrief_url or c.loop_url))
    return m


def _decision(c: Context) -> Message:
    assert c.decision_due_on is not None
    today = to_local(c.now, c.tz).date()
    days = (c.decision_due_on - today).days
    if days > 0:
        when, lead = f"in {days} day{'s' if days != 1 else ''}", "Decision due"
    elif days == 0:
        when, lead = "today", "Decision due"
    else:
        when, lead = f"{-days} day{'s' if days != -1 else ''} ago", "Decision overdue"
    subject = (f"{lead} {when}: {one_line(c.candidate, 120)} ({one_line(c.job_title, 80)})" if days >= 0
               else f"{lead}: {one_line(c.candidate, 120)} ({one_line(c.job_title, 80)}), due {when}")
    m = Message(
        subject=subject,
        greeting=_hello(c),
        paragraphs=[f"The team promised {one_line(c.candidate)} a decision by {_day(c.decision_due_on)} "
                    f"({when}), and none is recorded yet."],
        facts=[_candidate_fact(c),
               ("Decision promised by", _day(c.decision_due_on))],
        closing=["You receive this as the recruiter or hiring manager of this loop, until a decision is recorded."],
    )
    _add_progress(m, c)
    if c.missing:
        m.facts.append(("Still missing", "; ".join(one_line(n, 160) for n in c.missing)))
    m.actions.append(("Open the debrief", c.debrief_url or c.loop_url))
    return m


def _candidate_day(c: Context) -> Message:
    items = []
    for s in c.itinerary:
        details = []
        if s.interviewers:
            details.append("With: " + "; ".join(p.described for p in s.interviewers))
        if s.shadows:
            details.append("Also joining to observe: " + "; ".join(p.described for p in s.shadows))
        if s.where:
            details.append(f"Where: {one_line(s.where)}")
        if s.video:
            details.append(f"Video link: {s.video}")
        if s.prep.strip():
            details.append("How to prepare: " + one_line(s.prep, 1000))
        times = format_clock_range(s.start, s.end, c.tz)
        items.append((f"{times}  {one_line(s.title)} ({s.kind_label}, {s.duration_min} min)", details))
    first = c.itinerary[0].start if c.itinerary else c.event_dt
    day = to_local(first, c.tz).date()
    zone = zone_abbreviation(c.tz, first)
    m = Message(
        subject=f"Reminder: your interviews for {one_line(c.job_title, 120)} on {format_day(day, year=False)}, "
                f"from {format_instant(first, c.tz, '%H:%M')}",
        greeting=f"Dear {one_line(c.recipient, 160)},",
        paragraphs=[f"A reminder of your interviews for the {one_line(c.job_title)} role on {_day(day)}. We look "
                    "forward to meeting you.",
                    f"All times are in your time zone ({c.tz}, {zone})."],
        schedule=[(_day(day), items)],
        closing=["If something has come up, or you have a question, reply to this e-mail.", "",
                 "Kind regards,", c.recruiter.described],
    )
    if c.later_days:
        m.paragraphs.append("Your interviews continue on " + ", ".join(_day(d) for d in c.later_days)
                            + "; you will get a reminder the day before.")
    return m


_COMPOSERS = {
    ReminderKind.PREP_DAY: _prep_day,
    ReminderKind.PREP_HOUR: _prep_hour,
    ReminderKind.SCORECARD_HOUR: _scorecard_hour,
    ReminderKind.SCORECARD_DUE: _scorecard_due,
    ReminderKind.SCORECARD_OVERDUE: _scorecard_overdue,
    ReminderKind.DEBRIEF_READY: _debrief_ready,
    ReminderKind.DECISION_SOON: _decision,
    ReminderKind.DECISION_TODAY: _decision,
    ReminderKind.CANDIDATE_DAY: _candidate_day,
}
