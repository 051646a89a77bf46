"""Views of end-user sign-in: the email form, the Azure AD callback, the signed-in page and sign-out."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.decorators import login_not_required, login_required
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from social_core.actions import do_auth
from social_core.exceptions import SocialAuthBaseException
from social_django import views as social_views
from social_django.utils import load_backend, load_strategy

from identity_providers.models import IdentityProvider, ProviderDomain, ProviderKind

from . import refusals
from .backend import AzureADSignInBackend
from .models import SignInAccount
from .sessions import SESSION_PROVIDER_KEY
from .urls_public import BACKEND_NAME, callback_url, login_url

logger = logging.getLogger(__name__)


class EmailForm(forms.Form):
    email = forms.EmailField(label="Work email", max_length=320)


@never_cache
@login_not_required
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Show the email form; on POST, pick the provider by email domain and send the user to Azure AD."""
    if request.method == "GET":
        return render(request, "signin/login.html", {"form": EmailForm(), "next": request.GET.get("next", "")})

    form = EmailForm(request.POST)
    if not form.is_valid():
        return render(request, "signin/login.html", {"form": form, "next": request.POST.get("next", "")}, status=400)
    email = form.cleaned_data["email"]
    domain = email.rpartition("@")[2].lower()

    domain_row = (
        ProviderDomain.objects.select_related("provider__workspace")
        .annotate(lower_name=Lower("name"))
        .filter(lower_name=domain, provider__kind=ProviderKind.AZURE_AD)
        .first()
    )
    if domain_row is None:
        return refusals.render_refusal(request, refusals.UNKNOWN_DOMAIN, detail=f"The domain is {domain}.")
    provider = domain_row.provider
    if not provider.enabled:
        return refusals.render_refusal(request, refusals.PROVIDER_DISABLED, provider=provider, user_label=email)

    # A new sign-in replaces the user signed in to this browser session.
    if request.user.is_authenticated:
        logout(request)

    backend = _load_backend(request)
    backend.bind_provider(provider, email)
    try:
        return do_auth(backend, redirect_name=REDIRECT_FIELD_NAME)
    except SocialAuthBaseException as error:
        logger.warning("sign-in start failed provider=%s code=%s", provider.pk, error.code)
        return refusals.render_refusal(
            request, refusals.IDP_ERROR, provider=provider, detail=_describe(error), user_label=email
        )


@never_cache
@login_not_required
@require_GET
def complete_view(request: HttpRequest, backend: str) -> HttpResponse:
    """Finish the login at the redirect URL, rendering a refusal page for every failure."""
    if backend != BACKEND_NAME:
        return refusals.render_refusal(request, refusals.IDP_ERROR, detail="The callback names an unknown backend.")
    try:
        return social_views.complete(request, backend)
    except refusals.SignInRefused as refusal:
        provider = _provider_of(request)
        return refusals.render_refusal(
            request,
            refusal.refusal_code,
            provider=provider,
            detail=refusal.detail,
            aadsts=refusal.aadsts,
            user_label=_user_label(request),
        )
    except SocialAuthBaseException as error:
        provider = _provider_of(request)
        aadsts = error.context.get("aadsts")
        return refusals.render_refusal(
            request,
            refusals.IDP_ERROR,
            provider=provider,
            detail=_describe(error),
            aadsts=aadsts if isinstance(aadsts, int) else None,
            user_label=_user_label(request),
        )


@never_cache
@login_required(login_url="signin:login")
@require_GET
def signed_in_view(request: HttpRequest) -> HttpResponse:
    account = SignInAccount.objects.select_related("workspace").filter(user=request.user).first()
    return render(request, "signin/signed_in.html", {"account": account})


@never_cache
@login_not_required
@csrf_protect
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """End the p81 session; the page links to Azure AD's end-session URL to sign out there too."""
    if request.method == "GET":
        return render(request, "signin/logout.html")

    provider_id = request.session.get(SESSION_PROVIDER_KEY)
    logout(request)

    end_session_url = ""
    provider = IdentityProvider.objects.filter(pk=provider_id).first() if isinstance(provider_id, int) else None
    if provider is not None:
        backend = _load_backend(request)
        backend.bind_provider(provider, "")
        end_session_url = f"{backend.end_session_url()}?{urlencode({'post_logout_redirect_uri': login_url()})}"
    return render(request, "signin/signed_out.html", {"end_session_url": end_session_url})


def _load_backend(request: HttpRequest) -> AzureADSignInBackend:
    strategy = load_strategy(request)
    backend = load_backend(strategy, BACKEND_NAME, redirect_uri=callback_url())
    assert isinstance(backend, AzureADSignInBackend)
    return backend


def _provider_of(request: HttpRequest) -> IdentityProvider | None:
    """Return the provider of the failed callback, if its session transaction still names one."""
    backend = getattr(request, "backend", None)
    if not isinstance(backend, AzureADSignInBackend):
        return None
    try:
        return backend.provider
    except SocialAuthBaseException:
        return None


def _user_label(request: HttpRequest) -> str:
    backend = getattr(request, "backend", None)
    return backend.login_hint if isinstance(backend, AzureADSignInBackend) else ""


def _describe(error: SocialAuthBaseException) -> str:
    """Return p81's description of a social-auth failure: its code and claim, never provider text."""
    parts = [f"social-auth code {error.code}", f"stage {error.stage}"]
    if error.claim:
        parts.append(f"claim {error.claim}")
    if error.provider_code:
        parts.append(f"Azure error {error.provider_code}")
    return "Failed with " + ", ".join(parts) + "."
