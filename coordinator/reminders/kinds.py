"""What a reminder is about and where it stands: plain enums, so the rules and the messages stay pure (no
SQLAlchemy) while the model stores their values."""

from __future__ import annotations

from enum import StrEnum


class ReminderKind(StrEnum):
    PREP_DAY = "prep_day"  # interviewer: 24 h before a session, with the kit link
    PREP_HOUR = "prep_hour"  # interviewer: 1 h before
    SCORECARD_HOUR = "scorecard_hour"  # interviewer: 1 h after the session ends
    SCORECARD_DUE = "scorecard_due"  # interviewer: last call when the scorecard is due
    SCORECARD_OVERDUE = "scorecard_overdue"  # recruiter and hiring manager: a scorecard is overdue
    DEBRIEF_READY = "debrief_ready"  # recruiter and hiring manager: the last scorecard is in
    DECISION_SOON = "decision_soon"  # recruiter and hiring manager: 2 days before the promised decision date
    DECISION_TODAY = "decision_today"  # recruiter and hiring manager: on the promised date
    CANDIDATE_DAY = "candidate_day"  # candidate: 24 h before their interviews, with the itinerary

    @property
    def label(self) -> str:
        return _KIND_LABELS[self.value]

    @property
    def audience(self) -> str:
        """'interviewer', 'team' (recruiter and hiring manager) or 'candidate'."""
        if self in (ReminderKind.PREP_DAY, ReminderKind.PREP_HOUR, ReminderKind.SCORECARD_HOUR,
                    ReminderKind.SCORECARD_DUE):
            return "interviewer"
        return "candidate" if self is ReminderKind.CANDIDATE_DAY else "team"

    @property
    def ignores_quiet_hours(self) -> bool:
        """The one-hour reminders go out on time, night or not; every other one waits for the morning."""
        return self in (ReminderKind.PREP_HOUR, ReminderKind.SCORECARD_HOUR)


_KIND_LABELS = {
    "prep_day": "Prepare: interview tomorrow",
    "prep_hour": "Interview in 1 hour",
    "scorecard_hour": "Write your scorecard",
    "scorecard_due": "Scorecard due: last call",
    "scorecard_overdue": "Scorecard overdue",
    "debrief_ready": "Debrief ready",
    "decision_soon": "Decision due in 2 days",
    "decision_today": "Decision due today",
    "candidate_day": "Candidate: your interviews tomorrow",
}


class ReminderStatus(StrEnum):
    PENDING = "pending"  # waiting for its due time
    SENT = "sent"  # put into the outbox (which delivers it)
    CANCELLED = "cancelled"  # no longer wanted: the loop moved or was cancelled, a decision was recorded, ...
    SKIPPED = "skipped"  # due, but not sent: no address, the loop is gone, too late to help; `reason` says why

    @property
    def label(self) -> str:
        return {"pending": "Scheduled", "sent": "Sent", "cancelled": "Cancelled", "skipped": "Skipped"}[self.value]
