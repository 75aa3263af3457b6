from celery import shared_task

from crm.moving_in.services import move_in_check, move_in_run


@shared_task(name="crm.move_in_check")
def move_in_check_task(move_in_id: int) -> str:
    move_in = move_in_check(move_in_id=move_in_id)
    return move_in.status if move_in else "nothing to do"


@shared_task(name="crm.move_in_run")
def move_in_run_task(move_in_id: int) -> str:
    move_in = move_in_run(move_in_id=move_in_id)
    return move_in.status if move_in else "nothing to do"
