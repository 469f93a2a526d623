#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine or a warm one: sets up the engines (cached), makes
# sure a local S3 server (moto) is installed, starts it on a free loopback port for the tests that
# read s3:// through DuckDB's httpfs, runs `swift test` with any arguments given, and stops the
# server again, whatever the outcome.
set -euo pipefail
repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_dir"

bash scripts/setup-engines.sh

MOTO_VERSION=5.2.1
if ! python3 -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then
    echo "test.sh: installing moto[server]==$MOTO_VERSION from PyPI (local S3 server for tests)" >&2
    python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" ||
        { echo "test.sh: FAILED: could not install moto[server] from PyPI" >&2; exit 1; }
fi

OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
if ! python3 -c 'import openapi_spec_validator' >/dev/null 2>&1; then
    echo "test.sh: installing openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION from PyPI (validates /openapi.json in the tests)" >&2
    python3 -m pip install --quiet "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION" ||
        { echo "test.sh: FAILED: could not install openapi-spec-validator from PyPI" >&2; exit 1; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
moto_log=$(mktemp "${TMPDIR:-/tmp}/graph-api-moto.XXXXXX")
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$moto_log" 2>&1 &
moto_pid=$!
stop_moto() {
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
    rm -f "$moto_log"
}
trap stop_moto EXIT
for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$moto_pid" 2>/dev/null; then
        echo "test.sh: FAILED: the local S3 server (moto) did not start:" >&2
        cat "$moto_log" >&2
        exit 1
    fi
    sleep 0.1
done
export GRAPH_API_TEST_S3_ENDPOINT=127.0.0.1:$port
echo "test.sh: local S3 server (moto) on $GRAPH_API_TEST_S3_ENDPOINT" >&2

# One test at a time: several suites assert that an interrupt or timeout lands within 100 ms, or
# that a reader answers during a write, which only means something on a machine that is not
# running 300 other tests at once (this one has 2 cores).
swift test --no-parallel "$@"
