"""Two transactions at once, in a known order: for the PostgreSQL tests of changes that race."""

import threading

from django.db import connection, transaction


def meanwhile(first, second) -> None:
    """Run `first()` in a transaction kept open while `second()` starts in another thread and has a second to run
    into it; then let both finish. Each thread closes its own connection."""
    ran, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                first()
                ran.set()
                release.wait(10)
        finally:
            connection.close()

    def then():
        try:
            second()
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=then)]
    threads[0].start()
    ran.wait(10)
    threads[1].start()
    threads[1].join(1)
    release.set()
    for thread in threads:
        thread.join(10)
