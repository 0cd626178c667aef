#!/usr/bin/env bash
# Benchmarks berth against the incumbent Dockerfile language server, side by side in one run.
#
#   scripts/bench-vs-incumbent.sh [--quick] [--cap SECONDS]
#
# Builds berth with the release settings (through `cargo bench`, whose profile inherits
# `release`), installs `dockerfile-language-server-nodejs` from npm into target/peer (once; set
# BERTH_PEER_REINSTALL=1 to refresh it) and runs benches/editor_compare.rs on both servers. When
# npm, node or the registry is unavailable it benchmarks berth alone and says so. Extra arguments
# go to the harness. The test suite never runs this.
set -euo pipefail

cd "$(dirname "$0")/.."
peer_dir=target/peer
peer_bin=$peer_dir/node_modules/.bin/docker-langserver
peer_pkg=$peer_dir/node_modules/dockerfile-language-server-nodejs/package.json

servers=(--server "berth=target/release/berth server")

install_peer() {
    if [[ -x $peer_bin && -z ${BERTH_PEER_REINSTALL:-} ]]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm is not installed" >&2
        return 1
    fi
    mkdir -p "$peer_dir"
    timeout 300 npm install --prefix "$peer_dir" --no-audit --no-fund --loglevel=error \
        dockerfile-language-server-nodejs >&2
}

if install_peer && command -v node >/dev/null 2>&1 && [[ -x $peer_bin ]]; then
    version=$(node -p "require('./$peer_pkg').version" 2>/dev/null || echo "?")
    echo "incumbent: dockerfile-language-server-nodejs $version, node $(node --version)" >&2
    servers+=(--server "docker-langserver=node $peer_bin --stdio")
else
    echo "incumbent unavailable (no npm/node, or the npm registry could not be reached): benchmarking berth alone" >&2
fi

cargo bench --bench editor_compare -- "${servers[@]}" "$@"
