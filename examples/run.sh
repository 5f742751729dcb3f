#!/usr/bin/env bash
# The storefront examples against a real syncd, as CI runs them (.ci/run):
#   1. build syncd and start `syncd demo` on a free port, with signed
#      notifications (SYNCD_NOTIFY_URL, SYNCD_NOTIFY_SECRET) to a free
#      local port the examples listen on in turn;
#   2. regenerate the Go client (oapi-codegen, pinned in
#      storefront-go/go.mod) from the document the demo serves at
#      /openapi.json, and fail if it differs from the committed one;
#   3. generate TypeScript types from it (openapi-typescript) and compile
#      them with tsc --noEmit (npm packages pinned by storefront-ts's
#      package-lock.json);
#   4. run the Go example, then the PHP one: each lists games, reads a game
#      with its ETag, orders at a stale price to meet 409 price_changed,
#      orders again, replays the order, polls it to success and waits for
#      its notification, verifying the signature.
# Needs Go, Node.js with npm, curl, and PHP (php-cli, php-curl). Exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

for tool in go npm curl php; do
  command -v "$tool" >/dev/null || { echo "examples/run.sh: $tool is missing"; exit 1; }
done
php -r 'exit(function_exists("curl_init") ? 0 : 1);' || { echo "examples/run.sh: PHP's curl extension (php-curl) is missing"; exit 1; }

work=$(mktemp -d)
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ]; then
    kill "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# free_port prints a loopback port nothing answers on, below the
# ephemeral range, so the demo's own listeners (port 0) cannot be given
# it after it was picked.
free_port() {
  local p lo=32768
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
  for _ in $(seq 100); do
    p=$((10000 + RANDOM % (lo - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

echo "== build syncd"
go build -o "$work/syncd" ./cmd/syncd

notify_port=$(free_port)
secret=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "== syncd demo (notifications to 127.0.0.1:$notify_port)"
# No simulated storefront (-traffic=false): its supplier upsets would land
# on the examples' orders. A temporary database, whatever SYNCD_DB says.
env -u SYNCD_DB SYNCD_ADDR=127.0.0.1:0 \
  SYNCD_NOTIFY_URL="http://127.0.0.1:$notify_port/syncd/notify" SYNCD_NOTIFY_SECRET="$secret" \
  "$work/syncd" demo -traffic=false >"$work/demo.out" 2>"$work/demo.log" &
demo_pid=$!

# The demo prints the storefront token once its start-up syncs have
# priced the catalog.
shop=""
for _ in $(seq 600); do
  shop=$(sed -n 's/^ *export SHOP=//p' "$work/demo.out")
  [ -n "$shop" ] && break
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "syncd demo exited:"; cat "$work/demo.out" "$work/demo.log"; exit 1
  fi
  sleep 0.1
done
if [ -z "$shop" ]; then
  echo "syncd demo printed no storefront token in 60 s:"; cat "$work/demo.out"; tail -20 "$work/demo.log"; exit 1
fi
base=$(sed -n 's/^syncd: listening on //p' "$work/demo.out")
curl -fsS "$base/readyz" >/dev/null
echo "syncd demo ready at $base"

on_failure() {
  echo "-- syncd demo log (last 40 lines)"
  tail -40 "$work/demo.log"
}
trap 'on_failure' ERR

curl -fsS "$base/openapi.json" -o "$work/openapi.json"

echo "== oapi-codegen: the committed Go client is what the served document generates"
(cd examples/storefront-go &&
  go tool oapi-codegen -generate client,models -package syncdapi -o "$work/syncdapi.gen.go" "$work/openapi.json")
if ! diff -u examples/storefront-go/syncdapi/syncdapi.gen.go "$work/syncdapi.gen.go" >"$work/client.diff"; then
  head -60 "$work/client.diff"
  echo "examples/storefront-go/syncdapi is out of date: run go generate ./syncdapi in examples/storefront-go and commit it"
  exit 1
fi
(cd examples/storefront-go && go vet ./... && go test -count=1 ./... && go build -o "$work/storefront-go" .)

echo "== openapi-typescript + tsc --noEmit"
ts=examples/storefront-ts
npm_cache=${NPM_CONFIG_CACHE:-/tmp/syncd-npm-cache}
# One retry for a registry hiccup.
npm ci --prefix "$ts" --cache "$npm_cache" --no-audit --no-fund --silent ||
  { sleep 5; npm ci --prefix "$ts" --cache "$npm_cache" --no-audit --no-fund --silent; }
"$ts/node_modules/.bin/openapi-typescript" "$work/openapi.json" -o "$ts/generated/syncd.ts"
"$ts/node_modules/.bin/tsc" --noEmit -p "$ts"
echo "tsc: ok"

echo "== Go storefront (examples/storefront-go)"
"$work/storefront-go" -syncd "$base" -token "$shop" -listen "127.0.0.1:$notify_port" -notify-secret "$secret" \
  -stale-price -reference "ci-go-$$" -timeout 2m

echo "== PHP storefront (examples/storefront-php)"
php examples/storefront-php/signature_test.php
php examples/storefront-php/storefront.php --syncd="$base" --token="$shop" --listen="127.0.0.1:$notify_port" \
  --notify-secret="$secret" --stale-price --reference="ci-php-$$" --timeout=120

cd "$root"
echo "== storefront examples: ok"
