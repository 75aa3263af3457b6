from crm.admin import accounts, activity, orders, users  # noqa: F401  (registers the model admins)
