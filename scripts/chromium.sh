#!/usr/bin/env bash
# Debian's Chromium for the tests that walk the Dagster UI as a steward would (headless, loopback only).
set -euo pipefail
command -v chromium >/dev/null && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends chromium </dev/null >/dev/null 2>&1 \
    || { apt-get update -qq </dev/null; apt-get install -y -qq --no-install-recommends chromium </dev/null >/dev/null; }
