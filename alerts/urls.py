from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("stop/<str:token>/", views.stop, name="stop"),
]
