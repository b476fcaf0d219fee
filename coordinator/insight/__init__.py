"""Insight: how the hiring team is doing (reports over a period and a job or department) and how each interviewer
rates compared with the panel (calibration)."""
