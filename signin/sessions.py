"""Tracking the sessions that Azure AD sign-ins create, and ending them when SCIM disables or deletes the user."""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from directory.models import DirectoryUser
from directory.services import user_deactivated

from .models import SignInAccount, SignInSession

logger = logging.getLogger(__name__)

# Session key under which the provider of the current sign-in is kept, for sign-out.
SESSION_PROVIDER_KEY = "signin_provider_id"
BACKEND_PATH = "signin.backend.AzureADSignInBackend"


@receiver(user_logged_in, dispatch_uid="signin.record_session")
def record_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Remember the session of an Azure AD sign-in so that it can be ended later."""
    if getattr(user, "backend", "") != BACKEND_PATH or request is None:
        return
    account = SignInAccount.objects.filter(user=user).first()
    if account is None or not request.session.session_key:
        return
    forget_ended_sessions(account)
    SignInSession.objects.update_or_create(session_key=request.session.session_key, defaults={"account": account})
    request.session[SESSION_PROVIDER_KEY] = account.provider_id


def forget_ended_sessions(account: SignInAccount) -> None:
    """Delete the account's tracking rows whose sessions expired or were signed out, so rows do not pile up."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = [key for key in account.sessions.values_list("session_key", flat=True) if not store().exists(key)]
    if ended:
        SignInSession.objects.filter(account=account, session_key__in=ended).delete()


@receiver(user_deactivated, dispatch_uid="signin.end_sessions")
def end_sessions_of_deactivated_user(sender: Any, user: DirectoryUser, reason: str, **kwargs: Any) -> None:
    """End the sessions of a directory user that SCIM disabled or deleted, once that change commits.

    Waiting for the commit matters because the session store may be a cache
    that cannot roll back: a SCIM change that fails must not sign anyone out.
    """
    directory_user_id, workspace_id = user.pk, user.workspace_id
    transaction.on_commit(lambda: end_sessions_of_directory_user(directory_user_id, workspace_id, reason))


def end_sessions_of_directory_user(directory_user_id: Any, workspace_id: int, reason: str) -> None:
    """End every session of the directory user's Django user and block that user.

    The sessions are deleted from the session store. The Django user is also
    made inactive and given a new unusable password, which changes the
    session hash Django checks on every request, so a session that the
    store could not delete (a signed-cookie session, for example) stops
    working too. A deleted directory user's link is removed.
    """
    for account in SignInAccount.objects.select_related("user").filter(directory_user_id=directory_user_id):
        ended = end_sessions(account)
        django_user = account.user
        django_user.is_active = False
        django_user.set_unusable_password()
        django_user.save(update_fields=["is_active", "password"])
        if reason == "deleted":
            account.delete()
        logger.info(
            "sign-in sessions ended workspace=%s directory_user=%s user=%s sessions=%s reason=%s",
            workspace_id,
            directory_user_id,
            django_user.pk,
            ended,
            reason,
        )


def end_sessions(account: SignInAccount) -> int:
    """Delete every recorded session of the account from the session store; return how many there were."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(account.sessions.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    with transaction.atomic():
        SignInSession.objects.filter(account=account, session_key__in=keys).delete()
    return len(keys)
