from django.urls import path

from journeys.api import views

urlpatterns = [
    path("journeys/funnel/", views.FunnelView.as_view(), name="journey-funnel"),
    path("journeys/transitions/", views.TransitionCreateView.as_view(), name="journey-transitions"),
]
