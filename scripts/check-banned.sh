#!/usr/bin/env bash
# Fails when project C sources call a banned function (curl's list, trimmed to what applies).
set -euo pipefail
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|atof|strtok|tmpnam|mktemp|alloca)\('
if grep -rnE "$banned" src tests/unit tests/fuzz bench --include='*.c' --include='*.h' | grep -vE '^\S+:[0-9]+:\s*(\*|//)'; then
  echo "banned function used (see above): use snprintf/memcpy with explicit sizes, strtol/strtoull with checks" >&2
  exit 1
fi
echo "banned functions: none"
