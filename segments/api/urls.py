from django.urls import path
from rest_framework.routers import SimpleRouter

from segments.api import views

router = SimpleRouter()
router.register("segments", views.SegmentViewSet, basename="segment")

urlpatterns = [
    *router.urls,
    path("accounts/<int:account_id>/zone-history/", views.ZoneHistoryView.as_view(), name="account-zone-history"),
]
