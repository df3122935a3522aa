#!/usr/bin/env bash
# Builds the admin console (web/admin: TypeScript type check, then Vite) into web/admin/dist,
# which rampartd serves on its admin listener. Only when a source is newer than the last build.
set -euo pipefail
web="$(cd "$(dirname "$0")/../web" && pwd)"
admin="$web/admin"
out="$admin/dist/index.html"
if [[ -f "$out" ]] && [[ -z "$(find "$admin/src" "$admin/index.html" "$admin/public" \
    "$admin/package.json" "$admin/vite.config.ts" "$admin/tsconfig.json" "$web/shared" \
    -newer "$out" -print -quit 2>/dev/null)" ]]; then
  exit 0
fi
echo "Building the admin console"
(cd "$admin" && npm run build --silent)
