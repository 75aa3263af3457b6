from crm.admin import accounts, activity, orders, outreach, users  # noqa: F401  (registers the model admins)
