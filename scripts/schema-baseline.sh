#!/usr/bin/env bash
# Records the current v1 event schemas as the released baseline the compatibility check
# (`cargo test -p orion-services schema_compat`) compares against. Run when cutting a release.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f proto/schemas/baseline/v1/*.json
cp proto/schemas/v1/*.json proto/schemas/baseline/v1/
echo "baseline: $(ls proto/schemas/baseline/v1 | wc -l) schemas"
