from crm.admin import accounts, activity, audit, imports, orders, unfold_speed, users  # noqa: F401  (registers the model admins)
from crm.monitoring import admin as monitoring_admin  # noqa: F401
from crm.moving_in import admin as moving_in_admin  # noqa: F401
from crm.outreach import admin as outreach_admin  # noqa: F401
from crm.portal import admin as portal_admin  # noqa: F401
from crm.telephony import admin as telephony_admin  # noqa: F401
from crm.webleads import admin as webleads_admin  # noqa: F401

unfold_speed.install()
