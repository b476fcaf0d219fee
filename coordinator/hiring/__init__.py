"""Jobs (requisitions) and candidates."""
