"""Outbound messaging: rendering, the send-time rules and the channels. Writes live in crm/outreach/services.py."""
