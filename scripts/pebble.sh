#!/usr/bin/env bash
# Run Debian's pebble (a test ACME CA) on loopback for the "Run your own SN" walk-through:
# directory https://127.0.0.1:14000/dir, validating http-01 on port 18080 (the SN's port 80
# stack in configs/sn-public.yaml) and resolving names through the SN's DNS on 127.0.0.1:5353.
# Writes configs/pebble/https-ca.pem (trust for pebble's own HTTPS) and, once pebble is up,
# configs/pebble/root.pem (the root that signs the certificates it issues). Ctrl-C stops it.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/configs/pebble"
mkdir -p "$dir"
command -v pebble >/dev/null || { echo "pebble is missing: apt-get install -y pebble" >&2; exit 3; }
if [ ! -f "$dir/https-ca.pem" ]; then
  # A throwaway certificate for pebble's own HTTPS endpoint (it ships none).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -keyout "$dir/https-key.pem" -out "$dir/https-ca.pem" -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
fi
cat > "$dir/pebble.json" <<JSON
{ "pebble": { "listenAddress": "127.0.0.1:14000", "managementListenAddress": "127.0.0.1:15000",
  "certificate": "$dir/https-ca.pem", "privateKey": "$dir/https-key.pem",
  "httpPort": 18080, "tlsPort": 18443, "ocspResponderURL": "", "externalAccountBindingRequired": false } }
JSON
export PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
pebble -config "$dir/pebble.json" -dnsserver 127.0.0.1:5353 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 50); do
  if curl -sf --cacert "$dir/https-ca.pem" https://127.0.0.1:15000/roots/0 -o "$dir/root.pem"; then
    echo "pebble is up: https://127.0.0.1:14000/dir; issuing root in $dir/root.pem" >&2
    break
  fi
  sleep 0.2
done
wait $pid
