from crm.admin import accounts, activity, audit, imports, orders, outreach, telephony, users  # noqa: F401  (registers the model admins)
