#!/usr/bin/env bash
# Make sure the Debian tools the tests use are present. As root, install what is missing with
# apt-get; otherwise stop and print the exact command to run.
# Usage: scripts/ensure-debian.sh [command:package ...]   (defaults: the test suite's tools)
set -euo pipefail
pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
  pairs=(curl:curl openssl:openssl ss:iproute2 microsocks:microsocks danted:dante-server dig:dnsutils pebble:pebble etcd:etcd-server)
fi
missing=()
for pair in "${pairs[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# de-duplicate package names
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "zonegate: the tests need Debian packages that are missing: ${missing[*]}" >&2
  echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 3
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
