"""The client's own page (DOMAIN §5 type 3, §2.5): a live report of one account's orders, deliveries, quality and
promises, and what became of their feedback, opened by a signed per-person link, with XLSX and PDF downloads.

The page is a list of sections (`sections.py`); the core gives orders, on-time delivery, service and promises,
and the apps built on it add theirs (the surveys app: satisfaction answers and "you asked, we did")."""
