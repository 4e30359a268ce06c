"""Residents: the elder as one person with one record (identity from the ID number), their
ability assessments, and the rules that turn scores into a level."""
