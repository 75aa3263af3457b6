from django.utils import translation


def user_language_activate(request, user) -> None:
    """A signed-in user's preferred language wins over the browser's Accept-Language."""
    if user is not None and user.is_authenticated and user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user_language_activate(request, getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            # The thread serves other requests (and tests) next: do not leave this user's language behind.
            translation.deactivate()
