"""Authentication backend for workspace administrators: username or email address plus password."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

logger = logging.getLogger(__name__)


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with a username (exact) or an email address (case-insensitive).

    An email address that several accounts share signs in none of them,
    because the backend cannot tell which account is meant. As in
    ModelBackend, a password is hashed even when no user matches, so that
    response times do not reveal which names exist.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ):
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if not username or password is None:
            return None

        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None and "@" in username:
            matches = list(user_model._default_manager.filter(email__iexact=username.strip())[:2])
            if len(matches) == 1:
                user = matches[0]
            elif len(matches) > 1:
                logger.warning("administrator sign-in refused: email address shared by several accounts")

        if user is None:
            # Run the hasher once to keep the timing of unknown names the same.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
