from rest_framework.routers import DefaultRouter

from crm.api import views

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

urlpatterns = router.urls
