#!/usr/bin/env bash
# Starts the server on the embedded default: data in ./data, nothing else to run. Sets up the
# engines (cached after the first time), builds graph-api (release by default; GRAPH_API_BUILD=debug
# for a quicker first build) and runs `graph-api serve` with any flags given, e.g. --port 9000.
set -euo pipefail
repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_dir"

bash scripts/setup-engines.sh
configuration=${GRAPH_API_BUILD:-release}
case "$configuration" in
    release | debug) ;;
    *) echo "serve.sh: GRAPH_API_BUILD must be release or debug, not '$configuration'" >&2; exit 2 ;;
esac
swift build -c "$configuration" --product graph-api >&2
exec "$(swift build -c "$configuration" --show-bin-path)/graph-api" serve "$@"
