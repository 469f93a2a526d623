#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine or a warm one: sets up the engines (cached), makes
# sure a local S3 server (moto) and schemathesis (the contract run) are installed, starts two S3
# servers on free loopback ports for the tests that read s3:// through DuckDB's httpfs (one open,
# one that checks credentials), runs `swift test` with any arguments given, and stops the servers
# again, whatever the outcome.
#
# `scripts/test.sh --quick [args]` runs the fast tier for development: tests marked `.slow` (over
# about 2 s, or needing the local S3 server, a separate server process, a large ingest, a fuzz run
# or timeouts to expire) are skipped through GRAPH_API_QUICK_TESTS, and so are the client's CLI
# suites, which start the executable per command; no S3 server is started.
set -euo pipefail
repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_dir"

quick=false
if [[ ${1:-} == --quick ]]; then
    quick=true
    shift
fi

bash scripts/setup-engines.sh

OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
if ! python3 -c 'import openapi_spec_validator' >/dev/null 2>&1; then
    echo "test.sh: installing openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION from PyPI (validates /openapi.json in the tests)" >&2
    python3 -m pip install --quiet "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION" ||
        { echo "test.sh: FAILED: could not install openapi-spec-validator from PyPI" >&2; exit 1; }
fi

if $quick; then
    export GRAPH_API_QUICK_TESTS=1
    echo "test.sh: quick mode: skipping the slow tier (no S3 server)" >&2
    swift test --no-parallel --skip 'GraphAPIClientTests\.(CLIEndToEndTests|TablesCLITests)' "$@"
    exit
fi

MOTO_VERSION=5.2.1
if ! python3 -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then
    echo "test.sh: installing moto[server]==$MOTO_VERSION from PyPI (local S3 server for tests)" >&2
    python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" ||
        { echo "test.sh: FAILED: could not install moto[server] from PyPI" >&2; exit 1; }
fi

# The contract run (SchemathesisTests) drives a real server from its own /openapi.json.
SCHEMATHESIS_VERSION=4.32.5
if ! python3 -c "import importlib.metadata as m, schemathesis.cli; assert m.version('schemathesis') == '$SCHEMATHESIS_VERSION'" >/dev/null 2>&1; then
    echo "test.sh: installing schemathesis==$SCHEMATHESIS_VERSION from PyPI (checks the server against its OpenAPI document)" >&2
    python3 -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION" ||
        { echo "test.sh: FAILED: could not install schemathesis from PyPI" >&2; exit 1; }
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
moto_pids=()
moto_logs=()
stop_moto() {
    for pid in "${moto_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -f "${moto_logs[@]}"
}
trap stop_moto EXIT
# start_moto PORT [ENV=VALUE...]: starts a moto server on 127.0.0.1:PORT and waits until it answers.
start_moto() {
    local port=$1 log
    shift
    log=$(mktemp "${TMPDIR:-/tmp}/graph-api-moto.XXXXXX")
    moto_logs+=("$log")
    env "$@" python3 -m moto.server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    moto_pids+=($!)
    for _ in $(seq 1 100); do
        if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "${moto_pids[-1]}" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "test.sh: FAILED: the local S3 server (moto) did not start:" >&2
    cat "$log" >&2
    exit 1
}

# An S3 that accepts any credentials, for most S3 tests.
port=$(free_port)
start_moto "$port"
export GRAPH_API_TEST_S3_ENDPOINT=127.0.0.1:$port
echo "test.sh: local S3 server (moto) on $GRAPH_API_TEST_S3_ENDPOINT" >&2

# An S3 that checks signatures: after the first three requests (an IAM user, its policy and its
# access key, made here), moto refuses every request not signed with that user's key. The bucket
# graph-api-auth is made with that key.
auth_port=$(free_port)
start_moto "$auth_port" INITIAL_NO_AUTH_ACTION_COUNT=3
read -r auth_key_id auth_secret < <(python3 - "$auth_port" <<'PY'
import json, sys, boto3, botocore
endpoint = f"http://127.0.0.1:{sys.argv[1]}"
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="graph-api-tests")
policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
iam.put_user_policy(UserName="graph-api-tests", PolicyName="s3", PolicyDocument=json.dumps(policy))
key = iam.create_access_key(UserName="graph-api-tests")["AccessKey"]
wrong = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="wrong")
try:
    wrong.list_buckets()
    sys.exit("moto accepted a wrong secret: authentication is not enforced")
except botocore.exceptions.ClientError:
    pass
boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
             aws_secret_access_key=key["SecretAccessKey"]).create_bucket(Bucket="graph-api-auth")
print(key["AccessKeyId"], key["SecretAccessKey"])
PY
) || { echo "test.sh: FAILED: could not set up the authenticating S3 server" >&2; exit 1; }
export GRAPH_API_TEST_S3_AUTH_ENDPOINT=127.0.0.1:$auth_port
export GRAPH_API_TEST_S3_AUTH_KEY_ID=$auth_key_id
export GRAPH_API_TEST_S3_AUTH_SECRET=$auth_secret
echo "test.sh: local S3 server checking signatures (moto) on $GRAPH_API_TEST_S3_AUTH_ENDPOINT" >&2

# The full regenerate-and-diff of the OpenAPI-derived code (the suite itself checks the SHA-256
# stamps, which is cheap). Opt-in: building the generator first takes minutes on 2 cores.
if [[ "${GRAPH_API_TEST_OPENAPI_CHECK:-0}" == 1 ]]; then
    bash scripts/generate-openapi.sh --check
fi

# One test at a time: several suites assert that an interrupt or timeout lands within 100 ms, or
# that a reader answers during a write, which only means something on a machine that is not
# running 300 other tests at once (this one has 2 cores).
swift test --no-parallel "$@"
