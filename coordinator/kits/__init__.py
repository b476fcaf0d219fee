"""Interviewer assignments, the coverage rules (plain functions) and interview kits with their timing plan."""
