"""The roles a user can hold. A user may hold several."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"
    INTERVIEWER = "interviewer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Admin",
    Role.RECRUITER: "Recruiter",
    Role.HIRING_MANAGER: "Hiring manager",
    Role.INTERVIEWER: "Interviewer",
}
