"""An HTTPS server on 127.0.0.1 that behaves like Azure AD and Microsoft Graph for p81's calls.

It serves, for every tenant added to it and for `organizations` and `common`:

- OpenID discovery: `/{tenant}/v2.0/.well-known/openid-configuration`
- JWKS: `/{tenant}/discovery/v2.0/keys`, with key rotation
- authorize: `/{tenant}/oauth2/v2.0/authorize`, which signs the configured
  user in without a page and redirects back with a code
- token: `/{tenant}/oauth2/v2.0/token`, for the authorization code (with
  PKCE) and client credentials grants
- end session: `/{tenant}/oauth2/v2.0/logout`
- Graph: `/v1.0/me/transitiveMemberOf/microsoft.graph.group` (paged with
  `@odata.nextLink`) and `/v1.0/applications(appId='...')`

Tokens are real JWTs signed with RS256 keys that JWKS publishes. Errors use
Azure's JSON body (`error`, `error_description` starting with the AADSTS
code, `error_codes`, trace and correlation ids) and Graph's
`{"error": {"code", "message"}}` body. Public attributes are the test
controls: add tenants, apps and users, choose who signs in, rotate keys,
tamper with the next id_token, and read `requests` afterwards.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .tls import LoopbackCertificates

# Azure puts at most this many group ids into a token before it switches to
# the overage claims (200 for JWTs, per Microsoft's "groups overage claim").
GROUPS_OVERAGE_LIMIT = 200
ACCESS_TOKEN_LIFETIME = 3599
GRAPH_MAX_PAGE_SIZE = 999

_APPLICATION_PATH = re.compile(r"^/v1\.0/applications\(appId='(?P<app_id>[^']+)'\)$")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class StandInSecret:
    """A client secret of an app registration."""

    value: str
    expires_at: datetime.datetime
    key_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    display_name: str = "p81"

    @property
    def hint(self) -> str:
        return self.value[:3]

    @property
    def expired(self) -> bool:
        return self.expires_at <= datetime.datetime.now(datetime.UTC)


@dataclass
class StandInApp:
    """An app registration: client id, secrets, reply URLs and where it may be used."""

    client_id: str
    home_tenant_id: str
    secrets: list[StandInSecret] = field(default_factory=list)
    redirect_uris: list[str] = field(default_factory=list)
    multi_tenant: bool = False
    # Tenants whose users would be asked for consent they cannot give (AADSTS65001).
    consent_missing_tenant_ids: set[str] = field(default_factory=set)
    # Whether the app has the Application.Read.All application permission in Graph.
    can_read_applications: bool = True
    emit_groups_claim: bool = True


@dataclass
class StandInUser:
    """A user of one tenant, with the object ids of the groups they belong to (transitively)."""

    upn: str
    tenant_id: str
    oid: str = field(default_factory=lambda: str(uuid.uuid4()))
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    groups: list[str] = field(default_factory=list)


@dataclass
class _SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self, issuer: str) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "x5t": self.kid, "issuer": issuer}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@dataclass
class _AuthorizationCode:
    client_id: str
    redirect_uri: str
    user: StandInUser
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    issued_at: float
    redeemed: bool = False


@dataclass
class _Grant:
    """What an issued access token stands for."""

    app: StandInApp
    user: StandInUser | None
    expires_at: float


class AzureError(Exception):
    """An error response in Azure's OAuth JSON format."""

    def __init__(self, status: int, error: str, aadsts: int, message: str) -> None:
        super().__init__(f"AADSTS{aadsts}: {message}")
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.message = message

    def body(self) -> dict[str, Any]:
        trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
        timestamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": (
                f"AADSTS{self.aadsts}: {self.message} Trace ID: {trace_id} "
                f"Correlation ID: {correlation_id} Timestamp: {timestamp}"
            ),
            "error_codes": [self.aadsts],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.aadsts}",
        }


class GraphError(Exception):
    """An error response in Microsoft Graph's JSON format."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class AzureStandIn:
    """The stand-in's state and the HTTPS server that serves it. Use `start()` and `stop()`."""

    def __init__(self, certificates: LoopbackCertificates) -> None:
        self._certificates = certificates
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

        self.tenants: set[str] = set()
        self.apps: dict[str, StandInApp] = {}
        self.users: dict[str, StandInUser] = {}
        # The user the authorize endpoint signs in; None means the login_hint user.
        self.sign_in_as: str | None = None
        # Error the authorize endpoint sends back instead of a code, e.g. ("access_denied", 50126).
        self.authorize_error: tuple[str, int, str] | None = None

        self._keys: list[_SigningKey] = [self._new_key()]
        self._signing_kid = self._keys[0].kid
        # Changes applied to the next id_token only: claim values (None removes a claim).
        self.next_id_token_claims: dict[str, Any] = {}
        # "RS256" (normal), "none", "HS256" (keyed with the RSA public key) or "unpublished-key".
        self.next_id_token_signing = "RS256"
        self.code_lifetime_seconds = 600

        self.graph_page_size = 100
        # Origin that Graph's @odata.nextLink points to; None means this server.
        self.graph_next_link_origin: str | None = None
        self.graph_unavailable = False

        self._codes: dict[str, _AuthorizationCode] = {}
        self._grants: dict[str, _Grant] = {}
        self.requests: list[dict[str, Any]] = []

    # Server lifecycle.

    def start(self) -> AzureStandIn:
        standin = self

        class Handler(_Handler):
            server_state = standin

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.socket = self._certificates.server_context().wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="azure-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """The origin, such as https://127.0.0.1:40123, used as authority host and Graph URL."""
        assert self._server is not None, "start() the stand-in first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    # Test controls.

    def add_tenant(self, tenant_id: str | None = None) -> str:
        tenant_id = tenant_id or str(uuid.uuid4())
        self.tenants.add(tenant_id)
        return tenant_id

    def add_app(
        self,
        tenant_id: str,
        *,
        client_id: str | None = None,
        secret: str | None = None,
        secret_expires_at: datetime.datetime | None = None,
        redirect_uris: list[str] | None = None,
        multi_tenant: bool = False,
    ) -> StandInApp:
        app = StandInApp(
            client_id=client_id or str(uuid.uuid4()),
            home_tenant_id=tenant_id,
            redirect_uris=list(redirect_uris or []),
            multi_tenant=multi_tenant,
        )
        if secret is not None:
            expires_at = secret_expires_at or datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=365)
            app.secrets.append(StandInSecret(value=secret, expires_at=expires_at))
        self.apps[app.client_id] = app
        return app

    def add_user(self, tenant_id: str, upn: str, *, groups: list[str] | None = None, name: str = "") -> StandInUser:
        given, _, family = (name or upn.split("@")[0]).partition(" ")
        user = StandInUser(
            upn=upn,
            tenant_id=tenant_id,
            name=name or upn.split("@")[0],
            given_name=given,
            family_name=family,
            groups=list(groups or []),
        )
        self.users[upn.lower()] = user
        return user

    def rotate_signing_key(self, *, keep_previous: bool = True) -> str:
        """Publish a new key first in JWKS and sign with it from now on; return its kid."""
        key = self._new_key()
        with self._lock:
            self._keys = [key, *self._keys] if keep_previous else [key]
            self._signing_kid = key.kid
        return key.kid

    @property
    def signing_kid(self) -> str:
        return self._signing_kid

    def requests_to(self, path_suffix: str) -> list[dict[str, Any]]:
        """The recorded requests whose path ends with `path_suffix`."""
        return [entry for entry in self.requests if entry["path"].endswith(path_suffix)]

    def issue_code(self, *, client_id: str, redirect_uri: str, upn: str, nonce: str | None = None) -> str:
        """Issue an authorization code as the authorize endpoint would, without PKCE."""
        return self._issue_code(client_id, redirect_uri, self.users[upn.lower()], "openid profile", nonce, None, None)

    # Building blocks used by the request handler.

    @staticmethod
    def _new_key() -> _SigningKey:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _SigningKey(kid=secrets.token_urlsafe(12), private_key=private_key)

    def issuer(self, tenant_id: str) -> str:
        return f"{self.url}/{tenant_id}/v2.0"

    def resolve_tenant(self, tenant: str) -> str:
        """Return the tenant path segment if this stand-in serves it, or raise AADSTS90002."""
        if tenant in self.tenants or tenant in {"organizations", "common"}:
            return tenant
        raise AzureError(
            400,
            "invalid_request",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
            "into the correct cloud.",
        )

    def discovery(self, tenant: str) -> dict[str, Any]:
        issuer_tenant = "{tenantid}" if tenant in {"organizations", "common"} else tenant
        base = f"{self.url}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{self.url}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "oid", "tid", "preferred_username"],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "127.0.0.1",
            "msgraph_host": urlsplit(self.url).netloc,
        }

    def jwks(self, tenant: str) -> dict[str, Any]:
        issuer_tenant = "{tenantid}" if tenant in {"organizations", "common"} else tenant
        issuer = f"{self.url}/{issuer_tenant}/v2.0"
        with self._lock:
            return {"keys": [key.public_jwk(issuer) for key in self._keys]}

    def find_app(self, tenant: str, client_id: str) -> StandInApp:
        """Return the app registration usable in `tenant`, or raise AADSTS700016."""
        app = self.apps.get(client_id)
        if app is not None and (
            tenant in {"organizations", "common"} or tenant == app.home_tenant_id or app.multi_tenant
        ):
            return app
        directory = tenant if tenant not in {"organizations", "common"} else "organizations"
        raise AzureError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory '{directory}'. This can "
            "happen if the application has not been installed by the administrator of the tenant or consented "
            "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
        )

    def check_client_secret(self, app: StandInApp, secret: str | None) -> None:
        """Raise AADSTS7000218 (missing), 7000215 (wrong) or 7000222 (expired) unless `secret` is valid."""
        if not secret:
            raise AzureError(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        for candidate in app.secrets:
            if hmac.compare_digest(candidate.value.encode(), secret.encode()):
                if candidate.expired:
                    raise AzureError(
                        401,
                        "invalid_client",
                        7000222,
                        f"The provided client secret keys for app '{app.client_id}' are expired. Visit the Azure "
                        "portal to create new keys for your app.",
                    )
                return
        raise AzureError(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
            f"value, not the client secret ID, for a secret added to app '{app.client_id}'.",
        )

    def _issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        user: StandInUser,
        scope: str,
        nonce: str | None,
        code_challenge: str | None,
        code_challenge_method: str | None,
    ) -> str:
        code = secrets.token_urlsafe(48)
        with self._lock:
            self._codes[code] = _AuthorizationCode(
                client_id=client_id,
                redirect_uri=redirect_uri,
                user=user,
                scope=scope,
                nonce=nonce,
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                issued_at=time.time(),
            )
        return code

    def redeem_code(self, app: StandInApp, form: dict[str, str]) -> _AuthorizationCode:
        """Check and mark the code used, or raise the AADSTS error Azure sends for it."""
        with self._lock:
            grant = self._codes.get(form.get("code", ""))
            if grant is None or grant.client_id != app.client_id:
                raise AzureError(
                    400,
                    "invalid_grant",
                    70000,
                    "The provided value for the 'code' parameter is not valid.",
                )
            if grant.redeemed:
                raise AzureError(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed.")
            grant.redeemed = True
        if time.time() - grant.issued_at > self.code_lifetime_seconds:
            raise AzureError(
                400,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity.",
            )
        if form.get("redirect_uri") != grant.redirect_uri:
            raise AzureError(
                400,
                "invalid_grant",
                500112,
                "The reply address does not match the reply address that was used to request the code.",
            )
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            expected = (
                _b64url(hashlib.sha256(verifier.encode()).digest())
                if (grant.code_challenge_method or "plain").upper() == "S256"
                else verifier
            )
            if not verifier or not hmac.compare_digest(expected, grant.code_challenge):
                raise AzureError(
                    400,
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                )
        return grant

    def id_token(self, app: StandInApp, user: StandInUser, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": app.client_id,
            "iss": self.issuer(user.tenant_id),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": user.name,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "oid": user.oid,
            "preferred_username": user.upn,
            "rh": "0.standin",
            # Azure's sub is pairwise: the same user has a different sub in every app.
            "sub": _b64url(hashlib.sha256(f"{user.oid}:{app.client_id}".encode()).digest()),
            "tid": user.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "2.0",
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if app.emit_groups_claim:
            if len(user.groups) > GROUPS_OVERAGE_LIMIT:
                claims["_claim_names"] = {"groups": "src1"}
                claims["_claim_sources"] = {
                    "src1": {
                        "endpoint": f"https://graph.windows.net/{user.tenant_id}/users/{user.oid}/getMemberObjects"
                    }
                }
            else:
                claims["groups"] = list(user.groups)

        with self._lock:
            overrides, self.next_id_token_claims = self.next_id_token_claims, {}
            signing, self.next_id_token_signing = self.next_id_token_signing, "RS256"
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return self._sign(claims, signing)

    def access_token(self, app: StandInApp, user: StandInUser | None, audience: str, scope: str) -> str:
        now = int(time.time())
        tenant_id = user.tenant_id if user else app.home_tenant_id
        claims = {
            "aud": audience,
            "iss": f"{self.url}/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_TOKEN_LIFETIME,
            "appid": app.client_id,
            "tid": tenant_id,
            "uti": secrets.token_urlsafe(16),
        }
        if user is not None:
            claims.update({"oid": user.oid, "upn": user.upn, "scp": scope})
        else:
            claims["roles"] = ["Application.Read.All"] if app.can_read_applications else []
        token = self._sign(claims, "RS256")
        with self._lock:
            self._grants[token] = _Grant(app=app, user=user, expires_at=now + ACCESS_TOKEN_LIFETIME)
        return token

    def _sign(self, claims: dict[str, Any], signing: str) -> str:
        with self._lock:
            key = next(key for key in self._keys if key.kid == self._signing_kid)
        if signing == "RS256":
            return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "x5t": key.kid})
        if signing == "unpublished-key":
            stray = self._new_key()
            return jwt.encode(claims, stray.private_key, algorithm="RS256", headers={"kid": stray.kid})

        header = {"typ": "JWT", "alg": "none" if signing == "none" else "HS256", "kid": key.kid}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        if signing == "none":
            return f"{signing_input}."
        if signing == "HS256":
            # The algorithm-confusion attack: an HMAC keyed with the published RSA public key.
            signature = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
            return f"{signing_input}.{_b64url(signature)}"
        raise ValueError(f"unknown signing mode {signing!r}")

    def grant_for(self, authorization: str | None) -> _Grant:
        """Return the grant of a `Bearer` access token, or raise Graph's 401."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self._lock:
            grant = self._grants.get(token)
        if grant is None or grant.expires_at < time.time():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty, expired or not valid.")
        return grant


class _Handler(BaseHTTPRequestHandler):
    server_state: AzureStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (name fixed by BaseHTTPRequestHandler)
        """Keep test output quiet; `AzureStandIn.requests` records every request instead."""

    # Dispatch.

    def do_GET(self) -> None:  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
        self._dispatch("GET", {})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self._dispatch("POST", dict(parse_qsl(body, keep_blank_values=True)))

    def _dispatch(self, method: str, form: dict[str, str]) -> None:
        standin = self.server_state
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path
        with standin._lock:
            standin.requests.append(
                {"method": method, "path": path, "query": query, "form": form, "headers": dict(self.headers)}
            )

        try:
            if path.startswith("/v1.0/"):
                self._graph(method, path, query)
                return
            segments = path.strip("/").split("/")
            if len(segments) < 2:
                self._send_json(404, {"error": "not_found"})
                return
            tenant, rest = segments[0], "/".join(segments[1:])
            if method == "GET" and rest == "v2.0/.well-known/openid-configuration":
                self._send_json(200, standin.discovery(standin.resolve_tenant(tenant)))
            elif method == "GET" and rest == "discovery/v2.0/keys":
                self._send_json(200, standin.jwks(standin.resolve_tenant(tenant)))
            elif method == "GET" and rest == "oauth2/v2.0/authorize":
                self._authorize(tenant, query)
            elif method == "POST" and rest == "oauth2/v2.0/token":
                self._token(tenant, form)
            elif method == "GET" and rest == "oauth2/v2.0/logout":
                self._logout(query)
            else:
                self._send_json(404, {"error": "not_found"})
        except AzureError as error:
            self._send_json(error.status, error.body())
        except GraphError as error:
            self._send_json(
                error.status,
                {
                    "error": {
                        "code": error.code,
                        "message": error.message,
                        "innerError": {"request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())},
                    }
                },
            )

    # Endpoints.

    def _authorize(self, tenant: str, query: dict[str, str]) -> None:
        """Sign the configured user in and redirect back, or show Azure's error page."""
        standin = self.server_state
        try:
            standin.resolve_tenant(tenant)
            app = standin.find_app(tenant, query.get("client_id", ""))
        except AzureError as error:
            self._send_error_page(error)
            return
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            self._send_error_page(
                AzureError(
                    400,
                    "invalid_request",
                    50011,
                    f"The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs "
                    f"configured for the application '{app.client_id}'.",
                )
            )
            return

        state = query.get("state")
        if standin.authorize_error is not None:
            error, code, message = standin.authorize_error
            self._redirect_with(redirect_uri, {"error": error, "error_description": f"AADSTS{code}: {message}"}, state)
            return
        if query.get("response_type") != "code":
            self._redirect_with(
                redirect_uri,
                {"error": "unsupported_response_type", "error_description": "AADSTS70005: response_type is invalid."},
                state,
            )
            return

        upn = (standin.sign_in_as or query.get("login_hint") or "").lower()
        user = standin.users.get(upn)
        if user is None:
            self._send_error_page(
                AzureError(400, "invalid_request", 50034, f"The user account {upn!r} does not exist in the directory.")
            )
            return
        if tenant not in {"organizations", "common"} and user.tenant_id != tenant:
            self._send_error_page(
                AzureError(
                    400,
                    "invalid_request",
                    50020,
                    f"User account '{user.upn}' from identity provider does not exist in tenant '{tenant}'.",
                )
            )
            return
        if user.tenant_id != app.home_tenant_id and not app.multi_tenant:
            self._send_error_page(
                AzureError(
                    400,
                    "invalid_request",
                    50020,
                    f"User account '{user.upn}' from identity provider does not exist in the application's tenant.",
                )
            )
            return
        if user.tenant_id in app.consent_missing_tenant_ids:
            self._redirect_with(
                redirect_uri,
                {
                    "error": "consent_required",
                    "error_description": (
                        "AADSTS65001: The user or administrator has not consented to use the application with ID "
                        f"'{app.client_id}'. Send an interactive authorization request for this user and resource."
                    ),
                },
                state,
            )
            return

        code = standin._issue_code(
            app.client_id,
            redirect_uri,
            user,
            query.get("scope", ""),
            query.get("nonce"),
            query.get("code_challenge"),
            query.get("code_challenge_method"),
        )
        self._redirect_with(redirect_uri, {"code": code, "session_state": str(uuid.uuid4())}, state)

    def _token(self, tenant: str, form: dict[str, str]) -> None:
        standin = self.server_state
        standin.resolve_tenant(tenant)
        app = standin.find_app(tenant, form.get("client_id", ""))
        standin.check_client_secret(app, form.get("client_secret"))

        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            scope = form.get("scope", "")
            if not scope.endswith("/.default"):
                raise AzureError(
                    400,
                    "invalid_scope",
                    1002012,
                    f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                    "scope value with /.default suffixed to the resource identifier (application ID URI).",
                )
            self._send_json(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": ACCESS_TOKEN_LIFETIME,
                    "ext_expires_in": ACCESS_TOKEN_LIFETIME,
                    "access_token": standin.access_token(app, None, scope.removesuffix("/.default"), ""),
                },
            )
            return
        if grant_type != "authorization_code":
            raise AzureError(
                400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant_type}'."
            )

        grant = standin.redeem_code(app, form)
        scopes = grant.scope.split()
        graph_scopes = [scope for scope in scopes if scope not in {"openid", "profile", "email", "offline_access"}]
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(graph_scopes) or "User.Read",
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "ext_expires_in": ACCESS_TOKEN_LIFETIME,
            "access_token": standin.access_token(app, grant.user, standin.url, " ".join(graph_scopes)),
        }
        if "openid" in scopes:
            body["id_token"] = standin.id_token(app, grant.user, grant.nonce)
        if "offline_access" in scopes:
            body["refresh_token"] = secrets.token_urlsafe(48)
        self._send_json(200, body)

    def _logout(self, query: dict[str, str]) -> None:
        target = query.get("post_logout_redirect_uri")
        if target:
            self._send(302, b"", "text/plain", {"Location": target})
        else:
            self._send(200, b"<html><body><p>You signed out of your account.</p></body></html>", "text/html")

    def _graph(self, method: str, path: str, query: dict[str, str]) -> None:
        standin = self.server_state
        if standin.graph_unavailable:
            raise GraphError(503, "serviceNotAvailable", "The service is temporarily unavailable.")
        grant = standin.grant_for(self.headers.get("Authorization"))

        if method == "GET" and path == "/v1.0/me/transitiveMemberOf/microsoft.graph.group":
            if grant.user is None:
                raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
            top = min(int(query.get("$top") or 100), GRAPH_MAX_PAGE_SIZE, standin.graph_page_size)
            offset = int(query.get("$skiptoken") or 0)
            groups = grant.user.groups[offset : offset + top]
            body: dict[str, Any] = {
                "@odata.context": f"{standin.url}/v1.0/$metadata#directoryObjects",
                "value": [
                    {"@odata.type": "#microsoft.graph.group", "id": group_id, "displayName": f"Group {group_id[:8]}"}
                    for group_id in groups
                ],
            }
            if offset + top < len(grant.user.groups):
                origin = standin.graph_next_link_origin or standin.url
                next_query = urlencode({"$top": top, "$skiptoken": offset + top})
                body["@odata.nextLink"] = f"{origin}/v1.0/me/transitiveMemberOf/microsoft.graph.group?{next_query}"
            self._send_json(200, body)
            return

        match = _APPLICATION_PATH.match(path)
        if method == "GET" and match:
            if grant.user is not None or not grant.app.can_read_applications:
                raise GraphError(
                    403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
                )
            app = standin.apps.get(match["app_id"])
            if app is None:
                raise GraphError(404, "Request_ResourceNotFound", f"Resource '{match['app_id']}' does not exist.")
            self._send_json(
                200,
                {
                    "@odata.context": f"{standin.url}/v1.0/$metadata#applications(passwordCredentials)/$entity",
                    "passwordCredentials": [
                        {
                            "customKeyIdentifier": None,
                            "displayName": secret.display_name,
                            "endDateTime": secret.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "hint": secret.hint,
                            "keyId": secret.key_id,
                            "secretText": None,
                            "startDateTime": "2026-01-01T00:00:00Z",
                        }
                        for secret in app.secrets
                    ],
                },
            )
            return
        raise GraphError(404, "Request_ResourceNotFound", f"Resource not found for the segment in {path!r}.")

    # Responses.

    def _redirect_with(self, redirect_uri: str, params: dict[str, str], state: str | None) -> None:
        if state is not None:
            params = {**params, "state": state}
        separator = "&" if "?" in redirect_uri else "?"
        self._send(302, b"", "text/plain", {"Location": f"{redirect_uri}{separator}{urlencode(params)}"})

    def _send_error_page(self, error: AzureError) -> None:
        body = (
            "<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>"
            f"<h1>Sorry, but we're having trouble signing you in.</h1><p id='error'>{html.escape(str(error))}</p>"
            "</body></html>"
        )
        self._send(error.status, body.encode(), "text/html; charset=utf-8")

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
