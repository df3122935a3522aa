#!/usr/bin/env bash
# Builds the web UIs (TypeScript type check, then Vite): the admin console (web/admin, served
# on the admin listener) and the account center (web/account, served at /account/ on the
# client HTTPS listener), each into its dist/. Only when a source is newer than its last build.
set -euo pipefail
web="$(cd "$(dirname "$0")/../web" && pwd)"
for app in admin account; do
  dir="$web/$app"
  out="$dir/dist/index.html"
  if [[ -f "$out" ]] && [[ -z "$(find "$dir/src" "$dir/index.html" "$dir/public" \
      "$dir/package.json" "$dir/vite.config.ts" "$dir/tsconfig.json" "$web/shared" \
      -newer "$out" -print -quit 2>/dev/null)" ]]; then
    continue
  fi
  echo "Building web/$app"
  (cd "$dir" && npm run build --silent)
done
