"""Question banks: storing questions, importing and exporting whole files."""
