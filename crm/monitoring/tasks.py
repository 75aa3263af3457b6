from celery import shared_task

from crm.monitoring.services import equipment_signals_process


@shared_task(name="crm.equipment_signals_process")
def equipment_signals_process_task() -> int:
    return equipment_signals_process()
