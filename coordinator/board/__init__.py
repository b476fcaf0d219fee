"""The scheduling board: a loop's people across a day or a week, sessions placed by hand as drafts, then booked."""
