"""Availability: working hours and load limits, busy times typed or read from a calendar file (the reader is
pure), and the candidate's windows."""
