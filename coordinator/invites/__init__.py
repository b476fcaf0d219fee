"""Calendar invites for interview loops: iCalendar building (`ical`) and iMIP e-mail building (`email`).

Both modules are pure: plain data in, bytes or an `email.message.EmailMessage` out, no Flask or database.
`email.send_message` is the one function here that talks to the network (an SMTP server).
"""
