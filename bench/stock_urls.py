"""URLs of the stock django-scim2 peer: django-scim2's own routes under /scim/v2/."""

from django.urls import include, path

urlpatterns = [
    path("scim/v2/", include("django_scim.urls")),
]
