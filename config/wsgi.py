from django.core.wsgi import get_wsgi_application

from config.entrypoint import settings_module_required

settings_module_required()
application = get_wsgi_application()
