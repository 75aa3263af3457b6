from celery import shared_task

from crm.webleads.services import web_leads_process


@shared_task(name="crm.web_leads_process")
def web_leads_process_task() -> int:
    return web_leads_process()
