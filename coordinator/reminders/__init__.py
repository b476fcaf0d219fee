"""Reminders: the rules (plain functions), scheduling them as loops change, sending them from the scheduler
process, and the "Needs action" dashboard."""
