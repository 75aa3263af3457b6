import gc

from django.core.wsgi import get_wsgi_application

from config.entrypoint import settings_module_required

settings_module_required()
site = get_wsgi_application()

from config.machine import MachineHandler, machine_paths  # noqa: E402 (needs the apps loaded)

machine, MACHINE_PATHS = MachineHandler(), machine_paths()


def application(environ, start_response):
    """Django's application; equipment signals through a handler with only the middleware they need
    (config/machine.py)."""
    handler = machine if environ.get("PATH_INFO") in MACHINE_PATHS else site
    return handler(environ, start_response)


# Everything loaded so far (Django, the apps, their modules) lives as long as the process: moved out of the
# collector's sight, a full collection in the middle of a request scans only what requests made, which keeps a
# big download's tail short (bench/RESULTS.md, the client page). With gunicorn's --preload the frozen pages are
# also shared between the workers it forks.
gc.freeze()
