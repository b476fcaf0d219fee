"""Data protection: a candidate's data export (GDPR access), erasure, and the retention of not-hired candidates."""
