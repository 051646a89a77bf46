"""URLs of end-user sign-in. `social_urlpatterns` carries the `social` namespace that social-auth reverses."""

from django.urls import path

from . import views

app_name = "signin"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("signed-in/", views.signed_in_view, name="signed-in"),
    path("logout/", views.logout_view, name="logout"),
]

# Only the callback: logins start from the email form, never from
# social-auth's own /login/<backend>/ view.
social_urlpatterns = (
    [path("complete/<str:backend>/", views.complete_view, name="complete")],
    "social",
)
