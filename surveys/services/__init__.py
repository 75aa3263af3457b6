"""Writes for surveys: invitations (invitations.py), answers (responses.py) and the closed loop (loop.py)."""
