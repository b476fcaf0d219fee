"""Scheduled jobs and the ONE process that runs them (`flask --app coordinator scheduler`).

APScheduler inside gunicorn would start once per worker and fire every job once per worker, so jobs run only in
this dedicated process (deploy/coordinator-scheduler.service). Each job is a plain function of the app, listed in
`scheduler.JOBS`; a new job (reminders, retention) is one more entry there.
"""
