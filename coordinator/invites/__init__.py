"""Calendar invites for interview loops.

Pure (plain data in, bytes or an `email.message.EmailMessage` out, no Flask or database): `ical` (the iCalendar
builder, over `ical_data`, `vtimezone`, `ical_builder`, `ical_interviewers`, `ical_candidate`), `email` (iMIP
messages; `email.send_message` is the one function that talks to the network) and `texts` (the e-mails' text).
With the database: `services` (what a loop change puts into the outbox), `delivery` (claiming, sending, retries,
retention; `jobs` commits it) and `feeds` (downloads and private calendar feeds).
"""
