from django.urls import path
from rest_framework.routers import DefaultRouter

from crm.api import views
from crm.telephony import generic

router = DefaultRouter()
router.register("accounts", views.AccountViewSet, basename="account")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("phones", views.PhoneViewSet, basename="phone")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("orders", views.OrderViewSet, basename="order")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("service-requests", views.ServiceRequestViewSet, basename="service-request")
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("telephony/calls/", generic.CallRegisterView.as_view(), name="telephony-calls"),
    path("telephony/calls/<str:call_id>/events/", generic.CallEventView.as_view(), name="telephony-call-events"),
    path("telephony/lookup/", generic.LookupView.as_view(), name="telephony-lookup"),
    *router.urls,
]
