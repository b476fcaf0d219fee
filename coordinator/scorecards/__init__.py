"""Scorecards, the independence rule, the debrief and the hiring decision."""
