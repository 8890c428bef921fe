#!/usr/bin/env bash
# Installs the Prometheus tools the alert tests run: promtool (`promtool test rules`, from Debian's
# `prometheus` package) and amtool (`amtool check-config`, from `prometheus-alertmanager`).
# Idempotent and silent when both are present; needs root (CI runs as root) the first time.
set -euo pipefail

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing ${missing[*]} (promtool, amtool) for the alert rule tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The packages' services are not wanted here: policy-rc.d keeps dpkg from starting them.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v promtool >/dev/null && command -v amtool >/dev/null
