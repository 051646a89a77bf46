"""Administrator sign-in and sign-out (Django's auth views with p81 templates)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm


class AdminAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for a username or an email address."""

    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The username or email and the password do not match an account. Check both and try "
        "again; passwords are case-sensitive.",
    }


class AdminLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = AdminAuthenticationForm
    redirect_authenticated_user = True


class AdminLogoutView(auth_views.LogoutView):
    """Sign out on POST (Django 5 accepts no GET) and return to the sign-in page."""
