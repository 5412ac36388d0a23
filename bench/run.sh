#!/usr/bin/env bash
# The load benchmark: `bench/run.sh` (10 s per route) or `bench/run.sh --quick` (3 s); `--stores`
# compares the rate-limit stores. See bench/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x target/release/jwt-auth-server ] || cargo build --release --locked
exec python3 bench/run.py "$@"
