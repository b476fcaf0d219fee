"""Interview loops: sessions and their interviewers, booking, changes and their followers, the history and the
day view."""
