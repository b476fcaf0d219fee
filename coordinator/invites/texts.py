"""The plain-text parts of invite e-mails (the HTML parts, from templates/invites/email/, say the same).

Pure: a context dict in, text out. Names and job titles only, never an address; every value people typed is
reduced to one line.
"""

from __future__ import annotations

from typing import Any

from coordinator.mail import one_line


def who(person: Any) -> str:
    """'Jonas Weber (Staff Engineer)': a name and job title, never an address."""
    name, title = one_line(person.name, 160), one_line(getattr(person, "job_title", "") or "", 120)
    return f"{name} ({title})" if title else name


def interviewer_text(c: dict[str, Any]) -> str:
    """The plain-text part of an interviewer e-mail (the HTML part says the same)."""
    s, action = c["session"], c["action"]
    candidate = one_line(c["candidate"].name, 160)
    role = "shadow" if c["is_shadow"] else "interview"
    opening = {
        "invite": f"You are invited to {role} {candidate} for {one_line(c['job_title'])}.",
        "update": "An interview you are part of has changed. The details below are up to date; the attached "
                  "invitation updates the event in your calendar.",
        "cancel": "This interview is cancelled. The attached cancellation removes it from your calendar.",
        "removed": "You are no longer needed for this interview: someone else takes your place. The attached "
                   "cancellation removes it from your calendar.",
    }[action]
    lines = [f"Hello {one_line(c['recipient'].name, 160)},", "", opening, "",
             f"Candidate: {candidate} ({one_line(c['job_title'])})",
             f"Session:   {one_line(s.title)} — {c['kind_label']}, {s.duration_min} min",
             f"When:      {c['when']} (your time zone, {c['tz']})"]
    if c["where"]:
        lines.append(f"Where:     {one_line(c['where'])}")
    if c["video"]:
        lines.append(f"Video:     {c['video']}")
    if action in ("invite", "update"):
        lines += ["", "Interviewers: " + "; ".join(who(u) for u in c["interviewers"])]
        if c["shadows"]:
            lines.append("Shadowing:    " + "; ".join(who(u) for u in c["shadows"]))
        if c["focus_areas"]:
            lines.append("Your focus areas: " + ", ".join(one_line(a) for a in c["focus_areas"]))
        if c["kit_url"] != c["loop_url"]:
            lines.append(f"Your interview kit: {c['kit_url']}")
    lines += ["", f"Loop page: {c['loop_url']}", "",
              f"{who(c['recruiter'])}, recruiter — reply to this e-mail to reach them."]
    return "\n".join(lines) + "\n"


def candidate_text(c: dict[str, Any]) -> str:
    """The plain-text part of a candidate e-mail: names and job titles of the interviewers, no addresses,
    no kit, no internal notes; times in the candidate's zone, named."""
    action, job = c["action"], one_line(c["job_title"])
    lines = [f"Dear {one_line(c['candidate'].name, 160)},", ""]
    if action in ("invite", "update") and c.get("message"):
        lines.append(c["message"].strip())  # the recruiter's own words (the job's or the loop's template)
    elif action == "invite":
        lines.append(f"Thank you for making time for the next interviews for the {job} role. Here is your plan; "
                     "the attached invitation adds it to your calendar.")
    elif action == "update":
        lines.append(f"Your interview plan for the {job} role has changed. Here it is as it stands now; the "
                     "attached invitation updates the event in your calendar.")
    elif c.get("replaced"):
        lines.append(f"Your interviews for the {job} role were rearranged, so the calendar event for {c['when']} "
                     "is replaced: you receive the updated invitation in a separate e-mail. The attached "
                     "cancellation removes the old event.")
    else:
        lines.append(f"Your interview for the {job} role on {c['when']} is cancelled, and the attached "
                     "cancellation removes it from your calendar. We are sorry for the change; your recruiter "
                     "will be in touch.")
    if c["items"]:
        lines += ["", f"All times are in your time zone ({c['tz']})."]
        day = None
        for it in c["items"]:
            if it["day"] != day:
                day = it["day"]
                lines += ["", day]
            lines.append(f"  {it['times']}  {one_line(it['title'])} ({it['kind_label']}, {it['duration_min']} min)")
            if it["interviewers"]:
                lines.append("      With: " + "; ".join(who(p) for p in it["interviewers"]))
            if it["shadows"]:
                lines.append("      Also joining to observe: " + "; ".join(who(p) for p in it["shadows"]))
            if it["where"]:
                lines.append(f"      Where: {one_line(it['where'])}")
            if it["video"]:
                lines.append(f"      Video link: {it['video']}")
            if it["prep"]:
                lines.append("      How to prepare: " + it["prep"].strip().replace("\n", "\n      "))
    recruiter = c["recruiter"]
    lines += ["", "If a time does not work for you, or you have a question, reply to this e-mail.", "",
              "Kind regards,", who(recruiter)]
    return "\n".join(lines) + "\n"


#: the text part of each audience's e-mail
TEXTS = {"interviewer": interviewer_text, "candidate": candidate_text}
