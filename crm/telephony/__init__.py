"""Telephony integrations: one module per protocol. The call logic itself is in crm/telephony/services.py."""
