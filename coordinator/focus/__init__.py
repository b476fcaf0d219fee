"""Focus areas (the competencies a loop probes), the rating scale, question kinds and the question bank,
qualifications and interview plans."""
