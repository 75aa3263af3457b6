"""Local development: the embedded defaults with DEBUG on."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=True)

# The demo's proposals link to example.com (crm/demo/data.py).
CRM_DOCUMENT_HOSTS = env.list("CRM_DOCUMENT_HOSTS", default=[*CRM_DOCUMENT_HOSTS, "example.com"])  # noqa: F405

# On a developer's machine the API docs open without a login (config/settings/base.py).
CRM_API_DOCS_PUBLIC = env.bool("CRM_API_DOCS_PUBLIC", default=True)
