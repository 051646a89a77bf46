"""Administrator sign-in and sign-out (Django's auth views with p81 templates)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)

# Failed sign-ins allowed per account name and client address in one window.
MAX_FAILED_SIGN_INS = 10
FAILED_SIGN_IN_WINDOW_SECONDS = 15 * 60


def failure_key(username: str, address: str) -> str:
    """Return the cache key that counts failed sign-ins of `username` from `address`."""
    digest = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()
    return f"console:sign-in-failures:{digest}"


class AdminAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for a username or an email address, with a failure limit.

    After MAX_FAILED_SIGN_INS failures for one account name from one client
    address within FAILED_SIGN_IN_WINDOW_SECONDS, every attempt is rejected
    until the window ends, even with the right password.

    NOTE: the counter lives in Django's default cache. Without a shared
    CACHES backend (such as Redis) each gunicorn worker counts on its own,
    so the real limit is MAX_FAILED_SIGN_INS times the number of workers.
    """

    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The username or email and the password do not match an account. Check both and try "
        "again; passwords are case-sensitive.",
        "too_many_failures": "Too many failed sign-ins for this account from your address. Wait 15 minutes, "
        "then try again, or ask another administrator to reset your password.",
    }

    def clean(self) -> dict[str, Any]:
        key = failure_key(self.data.get("username", ""), self.client_address())
        if cache.get(key, 0) >= MAX_FAILED_SIGN_INS:
            logger.warning("administrator sign-in rejected: too many failures address=%s", self.client_address())
            raise ValidationError(self.error_messages["too_many_failures"], code="too_many_failures")

        try:
            return super().clean()
        except ValidationError:
            cache.add(key, 0, FAILED_SIGN_IN_WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:
                # The entry expired between add and incr; start a new window.
                cache.set(key, 1, FAILED_SIGN_IN_WINDOW_SECONDS)
            raise

    def client_address(self) -> str:
        return self.request.META.get("REMOTE_ADDR", "") if self.request else ""


class AdminLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = AdminAuthenticationForm
    redirect_authenticated_user = True


class AdminLogoutView(auth_views.LogoutView):
    """Sign out on POST (Django 5 accepts no GET) and return to the sign-in page."""
