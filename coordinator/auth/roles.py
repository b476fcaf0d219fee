"""The roles a user can hold. A user may hold several."""

from __future__ import annotations

from coordinator.enums import LabelledEnum


class Role(LabelledEnum):
    ADMIN = "admin", "Admin"
    RECRUITER = "recruiter", "Recruiter"
    HIRING_MANAGER = "hiring_manager", "Hiring manager"
    INTERVIEWER = "interviewer", "Interviewer"
