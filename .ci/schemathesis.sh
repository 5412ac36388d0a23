#!/usr/bin/env bash
# Fuzzes a running release server with schemathesis (pinned, from PyPI) against its own OpenAPI
# document (/api/openapi.json): no 5xx, every response matching its documented status, type and schema.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=target/schemathesis
version=4.32.5
if [ "$("$venv/bin/st" --version 2>/dev/null)" != "st, version $version" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
APP_ENV=testing APP_PORT=$port BCRYPT_ROUNDS=4 RATE_LIMIT_ENABLED=false MAIL_MAILER=none JWT_SECRET=schemathesis-secret-schemathesis-secret \
  DATABASE_URL="$work/database.sqlite" target/release/jwt-auth-server 2> "$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 1 50); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done

# A user whose fresh login token the hooks give every generated request (.ci/schemathesis_hooks.py),
# so the guarded routes are exercised past the guard even after a generated logout.
curl -sf -X POST "$base/api/register" -H 'Content-Type: application/json' \
  -d '{"name":"Fuzz","email":"fuzz@example.com","password":"schemathesis pass 1"}' >/dev/null

# The checks and their per-operation settings are in .ci/schemathesis.toml.
SCHEMATHESIS_BASE=$base SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=.ci "$venv/bin/st" --config-file .ci/schemathesis.toml run "$base/api/openapi.json" \
  --max-examples 50
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:" >&2; grep -A5 panicked "$work/server.log" >&2; exit 1
fi
