"""Outbound messaging: rendering, the send-time rules and the channels. Writes live in crm/services/outreach.py."""
