from django.urls import path

from surveys.api.views import ResponseIngestView, metric_view

_METRICS = {
    "nps": (
        "Net Promoter Score",
        {
            "value": 32.5,
            "n": 120,
            "promoters": 60,
            "passives": 39,
            "detractors": 21,
            "margin_of_error": 14.1,
            "enough_data": True,
        },
    ),
    "csat": (
        "Customer satisfaction",
        {
            "strict": 41.0,
            "broad": 78.0,
            "n": 100,
            "scale": "1..5",
            "distribution": {"1": 3, "2": 4, "3": 15, "4": 37, "5": 41},
            "enough_data": True,
        },
    ),
    "ces": ("Customer effort score", {"value": 4.21, "n": 80, "scale": "1..5", "enough_data": True}),
    "churn": ("Churn rate", {"value": 8.3, "n": 120, "lost": 10, "active_at_start": 120, "enough_data": True}),
    "clv": (
        "Customer lifetime value",
        {
            "value": 1520000.0,
            "n": 80,
            "apv": 250000.0,
            "apf_per_year": 2.4,
            "acl_years": 2.53,
            "revenue": "48000000.00",
            "purchases": 192,
            "enough_data": True,
        },
    ),
    "first-response": (
        "First response time",
        {"median_minutes": 42.0, "n": 300, "within_target": 91.3, "channels": {}, "enough_data": True},
    ),
    "fcr": (
        "First contact resolution",
        {"value": 72.0, "n": 300, "resolved_at_first_contact": 216, "enough_data": True},
    ),
    "resolution-time": ("Resolution time", {"mean_hours": 20.5, "median_hours": 6.0, "n": 280, "enough_data": True}),
    "repeat-purchase": (
        "Repeat purchase rate",
        {"value": 61.0, "n": 100, "repeat_customers": 61, "average_repeat_order": "210000.00", "enough_data": True},
    ),
    "kept-promises": ("Kept-promise rate", {"value": 93.0, "n": 100, "kept_on_time": 93, "enough_data": True}),
    "roi": (
        "ROI by lead source",
        {
            "margin_percent": 30.0,
            "n": 40,
            "enough_data": True,
            "lead_sources": [
                {
                    "lead_source": "Exhibition",
                    "revenue": "3000000.00",
                    "cost": "500000.00",
                    "customers": 12,
                    "value": 80.0,
                }
            ],
        },
    ),
}

urlpatterns = [
    path("surveys/<slug:slug>/responses/", ResponseIngestView.as_view(), name="survey-responses"),
    *(
        path(f"metrics/{name}/", metric_view(name, summary, example), name=f"metric-{name}")
        for name, (summary, example) in _METRICS.items()
    ),
]
