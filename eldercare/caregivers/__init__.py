"""Caregivers (养老护理员): rosters, pre-job and in-service training, skill certificates, pay
linked to skill level, the staffing check and the reminders (domain.md section 5)."""
