"""Escalation: tickets for staff, office hours, the outbox and delivery of answers."""
