"""OpenID Connect with Authlib, the relying-party library of Flask, Django and Starlette apps.

Starts the release server (ES256, its own SQLite file), registers a client with the CLI and a
user through the API, then lets Authlib run the relying party: discovery, the authorization URL
with PKCE and a nonce, the code exchange, the ID token checked by Authlib's CodeIDToken (signature
through the JWKS, iss, aud, exp, nonce, at_hash), UserInfo, and the RP-initiated logout URL. The
browser's part (the sign-in form) is a requests session posting the page's own form.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.integrations.base_client.sync_app import BaseApp, OAuth2Mixin
from authlib.integrations.base_client.sync_openid import OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("SERVER_BIN", os.path.join(ROOT, "target", "release", "jwt-auth-server"))
REDIRECT_URI = "https://rp.example/callback"
SIGNED_OUT = "https://rp.example/signed-out"


class Framework:
    """Authlib's hook for storing refreshed tokens: a script keeps them in variables."""

    def update_token(self, token, refresh_token=None, access_token=None):
        pass


class RelyingParty(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's framework-neutral OAuth 2 + OpenID client (what its Flask client is made of)."""

    client_cls = OAuth2Session


class Form(HTMLParser):
    """The page's form: its action and every named input's value."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workdir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "PATH": os.environ["PATH"],
        "APP_ENV": "testing",
        "APP_PORT": str(port),
        "APP_URL": base,
        "JWT_ISSUER": base,
        "JWT_ALGO": "ES256",
        "JWT_SECRET": "authlib-test-secret-authlib-test-secret-42",
        "DATABASE_URL": os.path.join(workdir, "database.sqlite"),
        "BCRYPT_ROUNDS": "4",
        "MAIL_MAILER": "none",
        "RUST_LOG": "warn",
    }
    server = subprocess.Popen([BINARY], cwd=ROOT, env=env)
    for _ in range(200):
        try:
            if requests.get(f"{base}/health/live", timeout=1).status_code == 200:
                return server, base, env
        except requests.ConnectionError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the server did not start")


def main():
    with tempfile.TemporaryDirectory() as workdir:
        server, base, env = start_server(workdir)
        try:
            run(base, env)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print("Authlib: discovery, code flow with PKCE and nonce, ID token, UserInfo and logout")


def run(base, env):
    created = subprocess.run(
        [BINARY, "client:create", "--name", "Flask app", "--public", "--authorization-code",
         "--redirect-uri", REDIRECT_URI, "--post-logout-redirect-uri", SIGNED_OUT,
         "--skip-consent", "--scopes", "openid profile email"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout
    client_id = re.search(r"client_id: (\S+)", created).group(1)
    email, password = f"authlib-{uuid.uuid4().hex}@example.com", "authlib password 123"
    registered = requests.post(f"{base}/api/register",
                               json={"name": "Authlib User", "email": email, "password": password})
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["data"]["id"]

    rp = RelyingParty(
        Framework(),
        name="jwt-auth-server",
        client_id=client_id,
        server_metadata_url=f"{base}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256",
                       "token_endpoint_auth_method": "none"},
    )
    metadata = rp.load_server_metadata()
    assert metadata["issuer"] == base, metadata
    assert metadata["id_token_signing_alg_values_supported"] == ["ES256"], metadata
    request = rp.create_authorization_url(redirect_uri=REDIRECT_URI)
    assert "nonce" in request and "code_verifier" in request, request

    browser = requests.Session()
    page = browser.get(request["url"])
    assert page.status_code == 200 and 'name="password"' in page.text, page.text
    form = Form()
    form.feed(page.text)
    form.fields.update(email=email, password=password)
    answer = browser.post(urljoin(page.url, form.action), data=form.fields, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["state"] == request["state"] and params["iss"] == base, params

    token = rp.fetch_access_token(redirect_uri=REDIRECT_URI, code=params["code"],
                                  code_verifier=request["code_verifier"])
    claims = rp.parse_id_token(token, nonce=request["nonce"], leeway=0)
    assert claims["sub"] == user_id and claims["aud"] == client_id, claims
    assert claims["email"] == email and claims["email_verified"] is False, claims
    assert claims["name"] == "Authlib User" and claims["acr"] == "1", claims
    try:
        rp.parse_id_token(token, nonce="another nonce")
        raise AssertionError("a wrong nonce was accepted")
    except Exception as error:  # Authlib raises joserfc's InvalidClaimError
        assert "nonce" in str(error), error

    info = rp.userinfo(token=token)
    assert info["sub"] == user_id and info["email"] == email and info["name"] == "Authlib User", info

    logout = rp.create_logout_url(post_logout_redirect_uri=SIGNED_OUT,
                                  id_token_hint=token["id_token"])
    out = browser.get(logout["url"], allow_redirects=False)
    assert out.status_code == 302, out.text
    assert out.headers["Location"] == f"{SIGNED_OUT}?state={logout['state']}", out.headers
    after = requests.get(metadata["userinfo_endpoint"],
                         headers={"Authorization": f"Bearer {token['access_token']}"})
    assert after.status_code == 401, after.text
    again = browser.get(request["url"])
    assert 'name="password"' in again.text, "signed out of the authorization page too"


if __name__ == "__main__":
    sys.exit(main())
