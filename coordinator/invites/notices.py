"""What the recruiter must hear: "Needs action" entries (`Notice`) and the e-mails about them, through the outbox.

* A decline arrives with its fix: the entry keeps the replacement options found when it arrived (qualified, free
  then, within their limits, least loaded first: `loops.booking.replacements_for`), and the recruiter is e-mailed
  at once with those options and the link that replaces in one click (or Find times when nobody fits).
* A proposal (COUNTER) is an entry to accept or refuse, e-mailed at once.
* What the candidate did (availability marked, loop booked or moved on their page, a thank-you note, their
  calendar's answer) is an entry too; the e-mails about those are batched by `send_due` (the scheduler's
  `send_notices` job): at most one per candidate per 15 minutes, listing everything since the last one.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.invites.models import Notice, NoticeKind, OutboxKind, Proposal
from coordinator.loops.models import Loop, LoopSession
from coordinator.mail import MessageError, build_email, one_line
from coordinator.timeutil import format_range, now_utc

#: at most one e-mail about a candidate's own actions per candidate in this time
BATCH_WINDOW = timedelta(minutes=15)
_BATCHED = tuple(k.value for k in NoticeKind if k.from_candidate_page or k is NoticeKind.CANDIDATE_ANSWER)


def options_of(notice: Notice) -> list[dict]:
    """A decline's replacement options as stored: [{"id", "name", "title", "week"}]."""
    return notice.replacement_options


def declined(session: LoopSession, user: User, *, now: datetime | None = None) -> Notice | None:
    """An interviewer declined: see `declined_many`."""
    made = declined_many([(session, user)], now=now)
    return made[0] if made else None


def declined_many(seats: Sequence[tuple[LoopSession, User]], *, now: datetime | None = None) -> list[Notice]:
    """Interviewers declined: one open entry per (session, person), carrying the replacement options found now
    (`loops.booking.replacements_for_many`: the calendars are read once for the whole batch), and an e-mail to
    each loop's recruiter."""
    from coordinator.loops.booking import replacements_for_many

    now = now or now_utc()
    wanted = list({(s.id, u.id): (s, u) for s, u in seats}.values())
    if not wanted:
        return []
    already = set(
        db.session.execute(
            select(Notice.session_id, Notice.user_id).where(
                Notice.kind == NoticeKind.DECLINED.value,
                Notice.session_id.in_({s.id for s, _ in wanted}),
                Notice.done_dt.is_(None),
            )
        ).all()
    )
    wanted = [(s, u) for s, u in wanted if (s.id, u.id) not in already]
    options = replacements_for_many(wanted)
    ids = {r.person_id for found in options.values() for r in found[:5]}
    titles = dict(db.session.execute(select(User.id, User.job_title).where(User.id.in_(ids))).all()) if ids else {}
    made = []
    for session, user in wanted:
        loop = session.loop
        when = format_range(session.start_dt, session.end_dt, loop.recruiter.timezone)
        found = options.get((session.id, user.id), [])[:5]
        notice = Notice(
            kind=NoticeKind.DECLINED.value,
            loop_id=loop.id,
            candidate_id=loop.candidate_id,
            session_id=session.id,
            user_id=user.id,
            created_dt=now,
            summary=f"{user.name} declined '{session.title}' with {loop.candidate.name} ({when}).",
            options=json.dumps(
                [[r.person_id, r.name, titles.get(r.person_id, ""), r.interviews_that_week] for r in found]
            ),
        )
        db.session.add(notice)
        made.append(notice)
    db.session.flush()
    rows = [
        _email_now(session.loop, [notice], now, queue=False)
        for notice, (session, _user) in zip(made, wanted, strict=True)
    ]
    from coordinator.invites.services import enqueue_emails

    enqueue_emails([row for row in rows if row is not None])  # one statement for the whole batch
    return made


def proposed(proposal: Proposal, session: LoopSession, *, now: datetime | None = None) -> Notice:
    """An attendee proposed another time: an entry to accept or refuse, e-mailed at once."""
    now = now or now_utc()
    loop = session.loop
    when = format_range(proposal.start_dt, proposal.end_dt, loop.recruiter.timezone)
    notice = Notice(
        kind=NoticeKind.PROPOSAL.value,
        loop_id=loop.id,
        candidate_id=loop.candidate_id,
        session_id=session.id,
        user_id=proposal.user_id,
        proposal_id=proposal.id,
        created_dt=now,
        summary=f"{proposal.proposer} proposed {when} for '{session.title}' with {loop.candidate.name}."
        + (f" “{proposal.comment}”" if proposal.comment else ""),
    )
    db.session.add(notice)
    db.session.flush()
    _email_now(loop, [notice], now)
    return notice


def candidate_did(loop: Loop, kind: NoticeKind, summary: str, *, now: datetime | None = None) -> Notice:
    """The candidate did something the recruiter should hear of: an entry now, an e-mail with the next batch."""
    notice = Notice(
        kind=kind.value,
        loop_id=loop.id,
        candidate_id=loop.candidate_id,
        summary=one_line(summary, 2000),
        created_dt=now or now_utc(),
    )
    db.session.add(notice)
    db.session.flush()
    return notice


def resolve_for_change(sessions: Iterable[int], removed: Sequence[tuple[int, int]]) -> None:
    """Declines no longer open: the session moved or was cancelled, or the decliner was taken off it."""
    sessions = list(sessions)
    conditions = []
    if sessions:
        conditions.append(Notice.session_id.in_(sessions))
    for session_id, user_id in removed:
        conditions.append((Notice.session_id == session_id) & (Notice.user_id == user_id))
    if not conditions:
        return
    db.session.execute(
        update(Notice)
        .where(Notice.kind == NoticeKind.DECLINED.value, Notice.done_dt.is_(None), or_(*conditions))
        .values(done_dt=now_utc())
    )


def mark_done(notice: Notice, actor: User) -> None:
    from coordinator.loops.changes import record

    if notice.done_dt is None:
        notice.done_dt = now_utc()
        record(db.session.get(Loop, notice.loop_id), actor, "notice_done", f"Done: {notice.summary}")


# --- e-mails ------------------------------------------------------------------------------------------------------


def _lines(notice: Notice) -> list[str]:
    from coordinator.invites.services import app_url

    lines = [f"- {notice.kind_label}: {notice.summary}"]
    if notice.kind == NoticeKind.DECLINED.value:
        options = options_of(notice)
        if options:
            lines.append("  Who could take over (free then, within their limits, least loaded first):")
            lines += [
                f"    {o['name']}"
                + (f" ({o['title']})" if o["title"] else "")
                + f", {o['week']} interview{'s' if o['week'] != 1 else ''} that week"
                for o in options
            ]
            lines.append(
                "  Replace in one click: "
                + app_url("loops.replace", loop_id=notice.loop_id, session_id=notice.session_id, user_id=notice.user_id)
            )
        else:
            lines.append(
                "  Nobody is free then without a problem. Choose someone by hand (each with what speaks against"
                " them): "
                + app_url("loops.replace", loop_id=notice.loop_id, session_id=notice.session_id, user_id=notice.user_id)
            )
            lines.append("  Or find another time: " + app_url("loops.find", loop_id=notice.loop_id))
    if notice.kind == NoticeKind.PROPOSAL.value:
        lines.append("  Accept or refuse it: " + app_url("reminders.dashboard"))
    return lines


def _email_now(loop: Loop, notices: Sequence[Notice], now: datetime, *, queue: bool = True) -> dict | int | None:
    """One e-mail to the loop's recruiter about these entries, into the outbox (or, `queue=False`, its outbox row
    for the caller to add with others), and a line in the history."""
    from coordinator.invites.services import app_url, enqueue_emails, mail_sender, outbox_values, uid_domain
    from coordinator.loops.changes import record

    recruiter = loop.recruiter
    if not recruiter.email or not recruiter.is_enabled:
        return None
    candidate = loop.candidate
    first = notices[0]
    if len(notices) == 1 and first.kind == NoticeKind.DECLINED.value:
        subject = f"Declined: {first.summary}"
    elif len(notices) == 1 and first.kind == NoticeKind.PROPOSAL.value:
        subject = f"Another time proposed: {first.summary}"
    else:
        subject = f"{candidate.name}: {len(notices)} update{'s' if len(notices) != 1 else ''} for you"
    body = [f"Hello {recruiter.name.split(' ')[0]},", ""]
    for notice in notices:
        body += _lines(notice)
    body += [
        "",
        f"The loop: {app_url('loops.show', loop_id=loop.id)}",
        f"Everything that needs you: {app_url('reminders.dashboard')}",
    ]
    text = "\n".join(body)
    from markupsafe import escape

    html = "<html><body>" + "".join(f"<p>{escape(line)}</p>" for line in body) + "</body></html>"
    sender = mail_sender()
    token = uuid.uuid4().hex
    try:
        data = build_email(
            sender=(sender.name, sender.email),
            to=(recruiter.name, recruiter.email),
            subject=one_line(subject, 300),
            text=text,
            html=html,
            reply_to=None,
            date=now,
            message_id=f"<notice.{token}@{uid_domain()}>",
            boundary=f"=_coordinator_notice_{token}",
            headers=[("Auto-Submitted", "auto-generated")],
        )
    except MessageError:
        return None
    row = outbox_values(
        kind=OutboxKind.RECRUITER_NOTICE,
        loop_id=loop.id,
        recipient=recruiter.email,
        recipient_name=recruiter.name,
        subject=one_line(subject, 300),
        message=data,
        now=now,
    )
    for notice in notices:
        notice.emailed_dt = now
    record(loop, None, "notice_sent", f"E-mailed {recruiter.name}: {one_line(subject, 300)}", actor_label="coordinator")
    if not queue:
        return row
    (message_id,) = enqueue_emails([row])
    return message_id


def send_due(*, now: datetime | None = None) -> int:
    """E-mail the recruiters about what candidates did: per candidate, everything not e-mailed yet in one e-mail,
    unless one went out less than 15 minutes ago (then it waits for the next run). Returns the e-mails queued.
    The caller commits."""
    now = now or now_utc()
    waiting = list(
        db.session.scalars(
            select(Notice).where(Notice.emailed_dt.is_(None), Notice.kind.in_(_BATCHED)).order_by(Notice.id).limit(5000)
        )
    )
    if not waiting:
        return 0
    candidate_ids = {n.candidate_id for n in waiting}
    last = dict(
        db.session.execute(
            select(Notice.candidate_id, func.max(Notice.emailed_dt))
            .where(Notice.candidate_id.in_(candidate_ids), Notice.kind.in_(_BATCHED), Notice.emailed_dt.is_not(None))
            .group_by(Notice.candidate_id)
        ).all()
    )
    by_loop: dict[int, list[Notice]] = defaultdict(list)
    for notice in waiting:
        previous = last.get(notice.candidate_id)
        if previous is not None and now - previous < BATCH_WINDOW:
            continue
        by_loop[notice.loop_id].append(notice)
    loops = {
        loop.id: loop
        for loop in db.session.scalars(
            select(Loop)
            .where(Loop.id.in_(list(by_loop)))
            .options(joinedload(Loop.candidate).joinedload(Candidate.job), joinedload(Loop.recruiter))
        )
    }
    sent = 0
    done_candidates: set[int] = set()
    for loop_id, notices in by_loop.items():
        loop = loops.get(loop_id)
        if loop is None or loop.candidate_id in done_candidates:
            continue
        # one e-mail per candidate: a candidate's other loops (rare) wait for the next window
        done_candidates.add(loop.candidate_id)
        if _email_now(loop, notices, now) is not None:
            sent += 1
        else:
            for notice in notices:
                notice.emailed_dt = now  # nobody to tell: do not try again every run
    db.session.flush()
    return sent


def close_proposal(proposal_id: int) -> None:
    """The proposal was decided: its entry no longer needs action."""
    db.session.execute(
        update(Notice).where(Notice.proposal_id == proposal_id, Notice.done_dt.is_(None)).values(done_dt=now_utc())
    )


def open_for_loop(loop_id: int) -> list[Notice]:
    """The loop's entries that still need action, newest first (the loop page's panel)."""
    return list(
        db.session.scalars(
            select(Notice)
            .where(Notice.loop_id == loop_id, Notice.done_dt.is_(None))
            .order_by(Notice.created_dt.desc(), Notice.id.desc())
            .limit(50)
            .options(joinedload(Notice.proposal), joinedload(Notice.session), joinedload(Notice.user))
        ).unique()
    )
