#!/usr/bin/python3
"""OAuth 2.0 authorization server of the mail lab (test use only, loopback only).

Built from authlib's server components, which do the protocol work: device authorization
(RFC 8628), authorization code with PKCE (RFC 7636, S256 required), client credentials,
refresh with rotation, revocation (RFC 7009), introspection (RFC 7662) and metadata
(RFC 8414). This file only provides storage (in memory, behind one lock), the lab's clients
and users, the provider-shaped routes and the test-only control endpoints under /lab/.

Usage: server.py CONFIG.json   (written by scripts/mail-lab/start.sh with MAILLAB_OAUTH=1)
See scripts/mail-lab/README.md, section "OAuth".

Tokens, codes and secrets are never logged: the event log names clients, users, grant
types and errors only.
"""

import hmac
import html
import ipaddress
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant, DeviceCredentialDict
from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

# ---------------------------------------------------------------------------- configuration

if len(sys.argv) != 2:
    print("usage: server.py CONFIG.json", file=sys.stderr)
    sys.exit(2)
with open(sys.argv[1], encoding="utf-8") as f:
    CONF = json.load(f)

ISSUER = CONF["issuer"]                      # https://127.0.0.1:PORT
USERS = {u.lower() for u in CONF["users"]}   # the mail lab's mailboxes
LAB_PASSWORD = CONF["password"]              # the lab users' password (for the sign-in pages)
ADMIN_TOKEN = CONF["admin_token"]

# The scopes a client may ask for. Any of MAIL_SCOPES makes a token good for mail: its
# introspection reports the one lab scope "mail" (Dovecot 2.3 compares exactly one scope name).
MAIL_SCOPES = {
    "mail",
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/POP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "https://outlook.office365.com/.default",
    "https://outlook.office365.com/IMAP.AccessAsUser.All",
    "https://outlook.office365.com/POP.AccessAsUser.All",
    "https://outlook.office365.com/SMTP.Send",
    "https://mail.google.com/",
}
OTHER_SCOPES = {"offline_access", "openid", "profile", "email"}
DEFAULT_SCOPE = "mail"

SETTINGS = {
    "access_token_lifetime": int(CONF.get("access_token_lifetime", 3600)),
    "refresh_token_lifetime": int(CONF.get("refresh_token_lifetime", 90 * 86400)),
    "device_interval": int(CONF.get("device_interval", 1)),
    "device_code_lifetime": int(CONF.get("device_code_lifetime", 600)),
    # the first N polls of every device code get slow_down (to test that a client honours it)
    "device_slow_down_polls": 0,
    "app_user": CONF["app_user"].lower(),
    # put before every access and refresh token issued from now on: a canary a test can look for in
    # everything the client wrote (the token stays unguessable: the random part follows)
    "token_prefix": "",
}

LOCK = threading.RLock()  # one lock for the whole store: every endpoint runs under it


def now():
    return time.time()


def log(msg):
    print(time.strftime("%Y-%m-%d %H:%M:%S"), msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- events and counters

EVENTS = []
EVENT_SEQ = [0]
EVENT_COND = threading.Condition(LOCK)
COUNTERS = {}


def counter(kind, name):
    """COUNTERS[kind][name] is a dict of counts (kind: clients or users)."""
    return COUNTERS.setdefault(kind, {}).setdefault(name, {})


def bump(d, key, n=1):
    d[key] = d.get(key, 0) + n


def event(_type, **fields):
    with LOCK:
        EVENT_SEQ[0] += 1
        e = {"seq": EVENT_SEQ[0], "time": round(now(), 3), "type": _type}
        e.update({k: v for k, v in fields.items() if v is not None})
        EVENTS.append(e)
        del EVENTS[:-5000]
        EVENT_COND.notify_all()
    log("event " + json.dumps(e, sort_keys=True))


# ---------------------------------------------------------------------------- models

def is_loopback_redirect(uri):
    """RFC 8252 section 7.3: http on a loopback address, any port, any path (also localhost)."""
    try:
        u = urllib.parse.urlsplit(uri)
    except ValueError:
        return False
    if u.scheme != "http" or u.fragment or u.username or u.password:
        return False
    host = (u.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Client(ClientMixin):
    def __init__(self, client_id, secret, grant_types, auth_methods, kind, bound_user=None):
        self.client_id = client_id
        self.secret = secret
        self.grant_types = set(grant_types)
        self.auth_methods = set(auth_methods)
        self.kind = kind
        self.bound_user = bound_user

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope

    def check_redirect_uri(self, redirect_uri):
        return is_loopback_redirect(redirect_uri)

    def check_client_secret(self, client_secret):
        return self.secret is not None and hmac.compare_digest(self.secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in self.auth_methods

    def check_response_type(self, response_type):
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
USER_GRANTS = ["authorization_code", "refresh_token", DeviceCodeGrant.GRANT_TYPE]
CLIENTS = {
    CONF["public_client_id"]: Client(CONF["public_client_id"], None, USER_GRANTS, ["none"], "public"),
    CONF["confidential_client_id"]: Client(
        CONF["confidential_client_id"], CONF["confidential_client_secret"],
        USER_GRANTS + ["client_credentials"], SECRET_METHODS, "confidential"),
    CONF["introspection_client_id"]: Client(
        CONF["introspection_client_id"], CONF["introspection_client_secret"], [], SECRET_METHODS, "introspection"),
}


class Token(TokenMixin):
    def __init__(self, client_id, user, scope, grant_type, grant_id, access_token, refresh_token):
        self.id = uuid.uuid4().hex[:12]
        self.client_id = client_id
        self.user = user
        self.scope = scope
        self.grant_type = grant_type
        self.grant_id = grant_id           # shared by every token of one authorization (rotation family)
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.issued_at = now()
        self.access_expires_at = self.issued_at + SETTINGS["access_token_lifetime"]
        self.refresh_expires_at = self.issued_at + SETTINGS["refresh_token_lifetime"]
        self.access_revoked = False
        self.refresh_revoked = False
        self.refresh_used = False

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return SETTINGS["access_token_lifetime"]

    def is_expired(self):
        return now() >= self.access_expires_at

    def is_revoked(self):
        return self.access_revoked

    def refresh_state(self):
        if not self.refresh_token:
            return "none"
        if self.refresh_revoked:
            return "revoked"
        if self.refresh_used:
            return "used"
        if now() >= self.refresh_expires_at:
            return "expired"
        return "active"

    def summary(self):
        return {
            "id": self.id, "client_id": self.client_id, "user": self.user, "scope": self.scope,
            "grant_type": self.grant_type, "grant_id": self.grant_id,
            "access": "revoked" if self.access_revoked else ("expired" if self.is_expired() else "active"),
            "access_expires_in": round(self.access_expires_at - now(), 1),
            "refresh": self.refresh_state(),
        }


TOKENS = []
BY_ACCESS = {}
BY_REFRESH = {}


class AuthCode(AuthorizationCodeMixin):
    def __init__(self, code, client_id, redirect_uri, scope, user, challenge, method):
        self.code = code
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.user = user
        self.code_challenge = challenge
        self.code_challenge_method = method
        self.expires_at = now() + 600
        self.used = False
        self.grant_id = uuid.uuid4().hex[:12]

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope


CODES = {}
DEVICES = {}      # device_code -> DeviceCredentialDict (+ interval, last_poll)
USER_CODES = {}   # user_code -> device_code
DEVICE_GRANTS = {}  # user_code -> (user, approved)


def mail_scope(scope):
    return bool(set(scope_to_list(scope or "")) & MAIL_SCOPES)


# ---------------------------------------------------------------------------- authlib glue

app = Flask(__name__)
app.config["OAUTH2_SCOPES_SUPPORTED"] = sorted(MAIL_SCOPES | OTHER_SCOPES)


def query_client(client_id):
    return CLIENTS.get(client_id)


def save_token(token, req):
    client = req.client
    user = req.user
    grant_type = req.grant_type
    if grant_type == "client_credentials":
        user = SETTINGS["app_user"]
    cred = req.credential
    if isinstance(cred, Token):
        grant_id = cred.grant_id
    elif isinstance(cred, AuthCode):
        grant_id = cred.grant_id
    else:
        grant_id = uuid.uuid4().hex[:12]
    t = Token(client.client_id, user, token.get("scope"), grant_type, grant_id,
              token["access_token"], token.get("refresh_token"))
    TOKENS.append(t)
    BY_ACCESS[t.access_token] = t
    if t.refresh_token:
        BY_REFRESH[t.refresh_token] = t
    c = counter("clients", client.client_id)
    bump(c.setdefault("issued", {}), grant_type)
    if grant_type == "refresh_token":
        bump(c, "refresh_ok")
        bump(counter("users", user), "refresh_ok")
    event("token_issued", grant_type=grant_type, client_id=client.client_id, user=user,
          scope=t.scope, token_id=t.id, grant_id=grant_id, expires_in=SETTINGS["access_token_lifetime"],
          refresh_token=bool(t.refresh_token))


def generate_bearer_token(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
    """The token generator authlib calls: random opaque tokens, the lab's current lifetime."""
    scope = scope or DEFAULT_SCOPE
    token = {
        "token_type": "Bearer",
        "access_token": SETTINGS["token_prefix"] + generate_token(42),
        "expires_in": SETTINGS["access_token_lifetime"],
        "scope": scope,
    }
    if include_refresh_token:
        token["refresh_token"] = SETTINGS["token_prefix"] + generate_token(48)
    return token


server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
server.register_token_generator("default", generate_bearer_token)


class S256Required(CodeChallenge):
    """PKCE required on every authorization request, S256 only."""
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant):
        req = grant.request
        if not req.data.get("code_challenge"):
            raise InvalidRequestError('Missing "code_challenge" (PKCE is required)', state=req.state)
        if req.data.get("code_challenge_method") != "S256":
            raise InvalidRequestError('"code_challenge_method" must be S256', state=req.state)
        super().validate_code_challenge(grant)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS + ["none"]

    def save_authorization_code(self, code, req):
        CODES[code] = AuthCode(code, req.client.client_id, req.redirect_uri, req.scope, req.user,
                               req.data.get("code_challenge"), req.data.get("code_challenge_method"))

    def query_authorization_code(self, code, client):
        c = CODES.get(code)
        if not c or c.client_id != client.client_id or now() > c.expires_at:
            return None
        if c.used:
            # A code used twice: refuse it and revoke what its first use gave (RFC 6749 4.1.2).
            n = revoke_where(lambda t: t.grant_id == c.grant_id)
            event("code_reuse", client_id=client.client_id, user=c.user, revoked=n)
            return None
        return c

    def delete_authorization_code(self, authorization_code):
        authorization_code.used = True

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS + ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new refresh token

    def authenticate_refresh_token(self, refresh_token):
        t = BY_REFRESH.get(refresh_token)
        if t and t.refresh_state() == "active":
            # a refusal after this can only be authlib's check of the client
            REFRESH_REFUSAL[0] = "other_client"
            return t
        REFRESH_REFUSAL[0] = t.refresh_state() if t else "unknown"
        return None

    def authenticate_user(self, credential):
        return credential.user

    def revoke_old_credential(self, credential):
        credential.refresh_used = True


REFRESH_REFUSAL = [None]  # why the last refresh was refused (under LOCK)
REFRESH_REASONS = {
    "used": "The refresh token was already used: a refresh returns a new one, which must be kept.",
    "revoked": "The refresh token was revoked.",
    "expired": "The refresh token has expired.",
    "unknown": "The refresh token is unknown.",
    "other_client": "The refresh token was issued to another client.",
}


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS


class DeviceGrant(DeviceCodeGrant):
    def query_device_credential(self, device_code):
        return DEVICES.get(device_code)

    def query_user_grant(self, user_code):
        return DEVICE_GRANTS.get(user_code)

    def should_slow_down(self, credential):
        # RFC 8628 3.5: polling faster than the interval gets slow_down, and the interval
        # grows by 5 s for this and every later request. A poll is early when it comes less
        # than the interval after the previous one (counted: device_too_fast).
        t = now()
        last = credential.get("last_poll")
        credential["last_poll"] = t
        credential["polls"] = credential.get("polls", 0) + 1
        early = last is not None and t - last < credential["interval"] - 0.05
        forced = credential["polls"] <= SETTINGS["device_slow_down_polls"]
        if early:
            bump(counter("clients", credential["client_id"]), "device_too_fast")
        event("device_poll", client_id=credential["client_id"], user_code=credential["user_code"],
              early=early, since_last=round(t - last, 2) if last is not None else None,
              interval=credential["interval"], answer="slow_down" if early or forced else "authorization_pending")
        if early or forced:
            credential["interval"] += 5
            return True
        return False

    def create_token_response(self):
        result = super().create_token_response()
        # The device code is spent once it gave its tokens.
        cred = self.request.credential
        DEVICES.pop(cred["device_code"], None)
        USER_CODES.pop(cred["user_code"], None)
        DEVICE_GRANTS.pop(cred["user_code"], None)
        return result


class DeviceAuthorization(DeviceAuthorizationEndpoint):
    @property
    def INTERVAL(self):
        return SETTINGS["device_interval"]

    @property
    def EXPIRES_IN(self):
        return SETTINGS["device_code_lifetime"]

    def get_verification_uri(self):
        return ISSUER + "/device"

    def authenticate_client(self, req):
        # authlib 1.2 saves request.client_id, which is empty with client_secret_basic:
        # keep the authenticated client's id (safe: the endpoint runs under LOCK).
        client = super().authenticate_client(req)
        self.client_id = client.client_id
        return client

    def save_device_credential(self, client_id, scope, data):
        client_id = self.client_id
        cred = DeviceCredentialDict(data)
        cred["client_id"] = client_id
        cred["scope"] = scope or DEFAULT_SCOPE
        cred["expires_at"] = now() + data["expires_in"]
        cred["last_poll"] = None
        DEVICES[data["device_code"]] = cred
        USER_CODES[data["user_code"]] = data["device_code"]
        event("device_authorization", client_id=client_id, scope=cred["scope"], user_code=data["user_code"])


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = SECRET_METHODS + ["none"]

    def query_token(self, token_string, token_type_hint):
        t = BY_REFRESH.get(token_string)
        if t and hint_allows(token_type_hint, "refresh_token"):
            return t
        t = BY_ACCESS.get(token_string)
        if t and hint_allows(token_type_hint, "access_token"):
            return t
        return BY_REFRESH.get(token_string) or BY_ACCESS.get(token_string)

    def revoke_token(self, token, req):
        if req.form.get("token") == token.refresh_token:
            # A refresh token: the whole authorization goes (RFC 7009 2.1).
            n = revoke_where(lambda t: t.grant_id == token.grant_id)
            kind = "refresh_token"
        else:
            token.access_revoked = True
            n = 1
            kind = "access_token"
        event("revoked", client_id=token.client_id, user=token.user, kind=kind, tokens=n, by="client")


def hint_allows(hint, kind):
    return not hint or hint == kind


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = SECRET_METHODS

    def query_token(self, token_string, token_type_hint):
        # Only access tokens: a refresh token is reported inactive, or Dovecot (which cannot
        # tell them apart) would take it as a bearer token.
        return BY_ACCESS.get(token_string)

    def check_permission(self, token, client, req):
        return client.kind == "introspection" or token.client_id == client.client_id

    def introspect_token(self, token):
        return {
            "active": True,
            "token_type": "Bearer",
            "client_id": token.client_id,
            "username": (token.user or "").lower(),
            "sub": (token.user or "").lower(),
            "scope": "mail" if mail_scope(token.scope) else (token.scope or ""),
            "exp": int(token.access_expires_at),
            "iat": int(token.issued_at),
            "iss": ISSUER,
        }

    def create_endpoint_response(self, req):
        status, body, headers = super().create_endpoint_response(req)
        client = req.client
        event("introspection", client_id=client.client_id if client else None,
              user=body.get("username"), active=body.get("active"))
        return status, body, headers


server.register_grant(AuthorizationCodeGrant, [S256Required(required=True)])
server.register_grant(RefreshTokenGrant)
server.register_grant(ClientCredentialsGrant)
server.register_grant(DeviceGrant)
server.register_endpoint(DeviceAuthorization)
server.register_endpoint(Revocation)
server.register_endpoint(Introspection)


def revoke_where(pred):
    n = 0
    for t in TOKENS:
        if pred(t) and not (t.access_revoked and (t.refresh_revoked or not t.refresh_token)):
            t.access_revoked = True
            if t.refresh_token:
                t.refresh_revoked = True
            n += 1
    return n


# ---------------------------------------------------------------------------- protocol routes

def request_client_id():
    cid = request.form.get("client_id") or request.args.get("client_id")
    if not cid and request.authorization and request.authorization.username:
        cid = request.authorization.username
    return cid


@app.route("/token", methods=["POST"])
@app.route("/<tenant>/oauth2/v2.0/token", methods=["POST"])
def token_endpoint(tenant=None):
    grant_type = request.form.get("grant_type")
    with LOCK:  # serialized: rotation must not hand out two successors of one refresh token
        REFRESH_REFUSAL[0] = None
        resp = server.create_token_response()
        if resp.status_code != 200:
            try:
                body = json.loads(resp.get_data(as_text=True))
            except ValueError:
                body = {}
            error = body.get("error", "unknown")
            cid = request_client_id()
            c = counter("clients", cid or "-")
            bump(c.setdefault("errors", {}), error)
            if grant_type == "refresh_token" and error == "invalid_grant":
                bump(c, "refresh_refused")
                if REFRESH_REFUSAL[0] and "error_description" not in body:
                    # Say why, as providers do (the reason a client shows for "sign-in needed").
                    body["error_description"] = REFRESH_REASONS[REFRESH_REFUSAL[0]]
                    resp.set_data(json.dumps(body))
            if grant_type == DeviceCodeGrant.GRANT_TYPE and error in ("authorization_pending", "slow_down"):
                bump(c, "device_" + error)
            else:
                event("token_error", grant_type=grant_type, client_id=cid, error=error, tenant=tenant,
                      refresh_token_state=REFRESH_REFUSAL[0] if grant_type == "refresh_token" else None)
        return resp


@app.route("/device_authorization", methods=["POST"])
@app.route("/device/code", methods=["POST"])
@app.route("/<tenant>/oauth2/v2.0/devicecode", methods=["POST"])
def device_authorization_endpoint(tenant=None):
    with LOCK:
        return server.create_endpoint_response("device_authorization")


@app.route("/revoke", methods=["POST"])
def revoke_endpoint():
    with LOCK:
        return server.create_endpoint_response("revocation")


@app.route("/introspect", methods=["POST"])
def introspect_endpoint():
    with LOCK:
        return server.create_endpoint_response("introspection")


def metadata():
    m = AuthorizationServerMetadata({
        "issuer": ISSUER,
        "authorization_endpoint": ISSUER + "/authorize",
        "token_endpoint": ISSUER + "/token",
        "device_authorization_endpoint": ISSUER + "/device_authorization",
        "revocation_endpoint": ISSUER + "/revoke",
        "introspection_endpoint": ISSUER + "/introspect",
        "scopes_supported": sorted(MAIL_SCOPES | OTHER_SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
                                  DeviceCodeGrant.GRANT_TYPE],
        "token_endpoint_auth_methods_supported": SECRET_METHODS + ["none"],
        "revocation_endpoint_auth_methods_supported": SECRET_METHODS + ["none"],
        "introspection_endpoint_auth_methods_supported": SECRET_METHODS,
        "code_challenge_methods_supported": ["S256"],
    })
    m.validate()
    return m


@app.route("/.well-known/oauth-authorization-server")
@app.route("/.well-known/openid-configuration")
def metadata_endpoint():
    return jsonify(dict(metadata()))


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>mail lab: {title}</h1><p>{text}</p>{form}</body></html>"""


def page(title, text, form="", status=200):
    return Response(PAGE.format(title=html.escape(title), text=html.escape(text), form=form),
                    status=status, content_type="text/html; charset=utf-8")


def check_person(form):
    """The sign-in pages: a lab mailbox and the lab password. -> user or None."""
    user = (form.get("username") or "").strip().lower()
    pw = form.get("password") or ""
    if user in USERS and hmac.compare_digest(pw.encode(), LAB_PASSWORD.encode()):
        return user
    return None


LOGIN_FIELDS = ('<label>mailbox <input name="username"></label> '
                '<label>password <input name="password" type="password"></label> ')


@app.route("/authorize", methods=["GET", "POST"])
@app.route("/o/oauth2/v2/auth", methods=["GET", "POST"])
@app.route("/<tenant>/oauth2/v2.0/authorize", methods=["GET", "POST"])
def authorize_endpoint(tenant=None):
    """The browser page: sign in as a lab mailbox and approve (or deny)."""
    with LOCK:
        if request.method == "GET":
            try:
                grant = server.get_consent_grant(end_user=None)
            except Exception as e:  # an OAuth2Error: show it (never redirect to an unchecked URI)
                desc = getattr(e, "description", "") or str(e)
                return page("authorization refused", f"{getattr(e, 'error', 'error')}: {desc}", status=400)
            form = (f'<form method="post">{LOGIN_FIELDS}'
                    '<button name="decision" value="allow">Allow</button> '
                    '<button name="decision" value="deny">Deny</button></form>')
            return page("sign in", f"Client {grant.client.client_id} asks for: {grant.request.scope or DEFAULT_SCOPE}",
                        form)
        if request.form.get("decision") == "deny":
            return server.create_authorization_response(grant_user=None)
        user = check_person(request.form)
        if not user:
            return page("sign in", "Unknown mailbox or wrong password.", status=401)
        event("authorized", client_id=request.args.get("client_id"), user=user, by="page")
        return server.create_authorization_response(grant_user=user)


@app.route("/device", methods=["GET", "POST"])
def device_page():
    """The device verification page: enter the user code, sign in, approve."""
    form = (f'<form method="post"><label>code <input name="user_code" value="'
            f'{html.escape(request.values.get("user_code", ""))}"></label> {LOGIN_FIELDS}'
            '<button name="decision" value="allow">Allow</button> '
            '<button name="decision" value="deny">Deny</button></form>')
    if request.method == "GET":
        return page("device sign-in", "Enter the code shown by the device.", form)
    user = check_person(request.form)
    if not user:
        return page("device sign-in", "Unknown mailbox or wrong password.", form, status=401)
    with LOCK:
        ok, msg = grant_device(request.form.get("user_code", ""), user, request.form.get("decision") != "deny", "page")
    return page("device sign-in", msg, status=200 if ok else 400)


def grant_device(user_code, user, approve, by):
    code = user_code.strip().upper()
    if code == "LATEST":
        pending = [c for c in DEVICES.values() if c["user_code"] not in DEVICE_GRANTS and not c.is_expired()]
        if not pending:
            return False, "no pending device code"
        code = max(pending, key=lambda c: c["expires_at"])["user_code"]
    dc = USER_CODES.get(code)
    cred = DEVICES.get(dc) if dc else None
    if not cred:
        return False, "unknown or spent user code"
    if cred.is_expired():
        return False, "user code expired"
    DEVICE_GRANTS[code] = (user, approve)
    event("device_approved" if approve else "device_denied", client_id=cred["client_id"], user=user,
          user_code=code, by=by)
    return True, ("approved" if approve else "denied") + f": {code} as {user}"


# ---------------------------------------------------------------------------- test-only control (/lab/)

def loopback_remote():
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@app.before_request
def guard_lab():
    if request.path.startswith("/lab/") or request.path == "/lab":
        given = request.headers.get("X-Lab-Admin-Token", "")
        if not loopback_remote() or not hmac.compare_digest(given.encode(), ADMIN_TOKEN.encode()):
            return jsonify({"error": "forbidden"}), 403
    return None


def params():
    p = {}
    p.update(request.args.to_dict())
    p.update(request.form.to_dict())
    if request.is_json:
        p.update({k: v for k, v in (request.get_json(silent=True) or {}).items()})
    return p


def flag(v):
    return str(v).lower() in ("1", "true", "yes", "on")


def lab_user(p):
    u = (p.get("user") or "").strip().lower()
    if u not in USERS:
        return None
    return u


def select(p):
    """Tokens chosen by user= and/or client= (both optional)."""
    user = (p.get("user") or "").strip().lower() or None
    client = (p.get("client") or p.get("client_id") or "").strip() or None
    return lambda t: (user is None or t.user == user) and (client is None or t.client_id == client)


@app.route("/lab/device", methods=["GET", "POST"])
def lab_device():
    """GET: pending device codes. POST user_code=CODE|latest user=MAILBOX [deny=1]: the person's answer."""
    p = params()
    with LOCK:
        if request.method == "GET":
            return jsonify({"pending": [
                {"user_code": c["user_code"], "client_id": c["client_id"], "scope": c["scope"],
                 "expires_in": round(c["expires_at"] - now(), 1),
                 "answered": c["user_code"] in DEVICE_GRANTS}
                for c in DEVICES.values() if not c.is_expired()]})
        user = lab_user(p)
        if not user:
            return jsonify({"error": "user must be a lab mailbox"}), 400
        ok, msg = grant_device(p.get("user_code", ""), user, not flag(p.get("deny", "0")), "lab")
        return jsonify({"ok": ok, "message": msg}), 200 if ok else 404


@app.route("/lab/authorize", methods=["POST"])
def lab_authorize():
    """url=AUTHORIZE_URL user=MAILBOX [deny=1] [follow=1]: the person's answer in the browser.
    Returns the redirect (location); with follow=1 the lab also sends the browser's GET to the
    client's loopback redirect URI and returns its status."""
    p = params()
    url = p.get("url", "")
    deny = flag(p.get("deny", "0"))
    user = lab_user(p)
    if not deny and not user:
        return jsonify({"error": "user must be a lab mailbox"}), 400
    parts = urllib.parse.urlsplit(url)
    ours = {ISSUER, ISSUER.replace("//127.0.0.1:", "//localhost:")}
    if not any(url.startswith(o + "/") for o in ours):
        return jsonify({"error": "url must be an authorization URL of this server"}), 400
    oreq = OAuth2Request("GET", url, None, {})  # authlib reads only its query
    with LOCK:
        resp = server.create_authorization_response(request=oreq, grant_user=None if deny else user)
        location = resp.headers.get("Location")
        event("authorized" if not deny else "authorization_denied",
              client_id=dict(urllib.parse.parse_qsl(parts.query)).get("client_id"), user=user, by="lab",
              status=resp.status_code)
    if resp.status_code != 302 or not location:
        body = resp.get_data(as_text=True)
        try:
            body = json.loads(body)
        except ValueError:
            pass
        return jsonify({"status": resp.status_code, "error": body}), 400
    out = {"status": 302, "location": location}
    if flag(p.get("follow", "0")):
        if not is_loopback_redirect(location):
            return jsonify({"error": "redirect is not a loopback URI; not followed"}), 400
        # Outside the lock: the client answers the redirect by calling the token endpoint.
        try:
            with urllib.request.urlopen(urllib.request.Request(location), timeout=30) as r:
                out["followed_status"] = r.status
                out["followed_body"] = r.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            out["followed_status"] = e.code
            out["followed_body"] = e.read(2000).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as e:
            return jsonify({"error": f"following the redirect failed: {e}"}), 502
    return jsonify(out)


@app.route("/lab/settings", methods=["GET", "POST"])
def lab_settings():
    """POST any of access_token_lifetime, refresh_token_lifetime, device_interval,
    device_code_lifetime (seconds), device_slow_down_polls (count), app_user (mailbox of
    client-credentials tokens), token_prefix (letters, digits, "-" and "_", at most 32: put before
    every token issued from now on, a canary for tests)."""
    p = params()
    with LOCK:
        if request.method == "POST":
            for k in ("access_token_lifetime", "refresh_token_lifetime", "device_interval", "device_code_lifetime",
                      "device_slow_down_polls"):
                if k in p:
                    try:
                        v = int(p[k])
                    except ValueError:
                        return jsonify({"error": f"{k} must be a whole number"}), 400
                    if v < (0 if k == "device_slow_down_polls" else 1):
                        return jsonify({"error": f"{k} must be at least 1"}), 400
                    SETTINGS[k] = v
            if "app_user" in p:
                u = p["app_user"].strip().lower()
                if u not in USERS:
                    return jsonify({"error": "app_user must be a lab mailbox"}), 400
                SETTINGS["app_user"] = u
            if "token_prefix" in p:
                prefix = p["token_prefix"]
                if not re.fullmatch(r"[A-Za-z0-9_-]{0,32}", prefix):
                    return jsonify({"error": "token_prefix: letters, digits, - and _, at most 32"}), 400
                SETTINGS["token_prefix"] = prefix
            event("settings", **SETTINGS)
        return jsonify(SETTINGS)


@app.route("/lab/expire", methods=["POST"])
def lab_expire():
    """[user=] [client=] [refresh=1]: their access tokens (and with refresh=1 refresh tokens) expire now."""
    p = params()
    pred = select(p)
    with LOCK:
        n = 0
        t0 = now() - 1
        for t in TOKENS:
            if pred(t):
                if t.access_expires_at > t0:
                    t.access_expires_at = t0
                    n += 1
                if flag(p.get("refresh", "0")) and t.refresh_token and t.refresh_expires_at > t0:
                    t.refresh_expires_at = t0
        event("expired", user=p.get("user"), client_id=p.get("client"), tokens=n,
              refresh=flag(p.get("refresh", "0")))
        return jsonify({"expired": n})


@app.route("/lab/revoke", methods=["POST"])
def lab_revoke():
    """[user=] [client=]: every access and refresh token of theirs is revoked."""
    p = params()
    with LOCK:
        n = revoke_where(select(p))
        event("revoked", user=p.get("user"), client_id=p.get("client"), tokens=n, by="lab")
        return jsonify({"revoked": n})


@app.route("/lab/counters", methods=["GET"])
def lab_counters():
    with LOCK:
        return jsonify(COUNTERS)


@app.route("/lab/reset", methods=["POST"])
def lab_reset():
    """Clears the counters and the event list (event numbers keep growing)."""
    with LOCK:
        COUNTERS.clear()
        EVENTS.clear()
        return jsonify({"last": EVENT_SEQ[0]})


@app.route("/lab/tokens", methods=["GET"])
def lab_tokens():
    """Every token issued, without its value: who, what, and its state."""
    p = params()
    pred = select(p)
    with LOCK:
        return jsonify({"tokens": [t.summary() for t in TOKENS if pred(t)]})


@app.route("/lab/events", methods=["GET"])
def lab_events():
    """after=SEQ [type=T] [wait=SECONDS (at most 120)]: events after SEQ, waiting for one if none yet."""
    p = params()
    try:
        after = int(p.get("after", 0))
        wait = min(float(p.get("wait", 0)), 120.0)
    except ValueError:
        return jsonify({"error": "after and wait must be numbers"}), 400
    kinds = set(filter(None, (p.get("type") or "").split(",")))

    def matching():
        return [e for e in EVENTS if e["seq"] > after and (not kinds or e["type"] in kinds)]

    deadline = now() + wait
    with EVENT_COND:
        found = matching()
        while not found and now() < deadline:
            EVENT_COND.wait(deadline - now())
            found = matching()
        return jsonify({"events": found, "last": EVENT_SEQ[0]})


# ---------------------------------------------------------------------------- serve

def main():
    host = CONF.get("host", "127.0.0.1")
    port = int(CONF["port"])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(CONF["cert"], CONF["key"])
    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    httpd = make_server(host, port, app, threaded=True, ssl_context=ctx)
    if CONF.get("pid_file"):
        with open(CONF["pid_file"] + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(CONF["pid_file"] + ".tmp", CONF["pid_file"])
    log(f"mail lab OAuth server listening on {ISSUER}")
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
