import gc

from django.core.wsgi import get_wsgi_application

from config.entrypoint import settings_module_required

settings_module_required()
application = get_wsgi_application()
# Everything loaded so far (Django, the apps, their modules) lives as long as the process: moved out of the
# collector's sight, a full collection in the middle of a request scans only what requests made, which keeps a
# big download's tail short (bench/RESULTS.md, the client page). With gunicorn's --preload the frozen pages are
# also shared between the workers it forks.
gc.freeze()
