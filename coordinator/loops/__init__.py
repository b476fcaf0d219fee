"""Interview loops: sessions, interviewers, availability, booking and the loop's history."""
