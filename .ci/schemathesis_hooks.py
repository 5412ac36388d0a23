"""Schemathesis hooks of .ci/schemathesis.sh: every generated request carries the token of a fresh
login, so that a generated logout or refresh (which blacklists the token it was sent) never leaves
the guarded operations behind 401s."""

import json
import os
import urllib.request

import schemathesis

BASE = os.environ["SCHEMATHESIS_BASE"]
LOGIN = json.dumps({"email": "fuzz@example.com", "password": "schemathesis pass 1"}).encode()


def fresh_token() -> str:
    request = urllib.request.Request(
        f"{BASE}/api/login", data=LOGIN, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access_token"]


@schemathesis.hook
def before_call(ctx, case, kwargs):
    bearer = f"Bearer {fresh_token()}"
    case.headers = {**{k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}, "Authorization": bearer}
    if isinstance(kwargs, dict) and isinstance(kwargs.get("headers"), dict):
        kwargs["headers"] = {**{k: v for k, v in kwargs["headers"].items() if k.lower() != "authorization"}, "Authorization": bearer}
