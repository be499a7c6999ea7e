#!/usr/bin/env bash
# One-time machine setup: npm dependencies and, when no WebGPU adapter is found,
# the Mesa lavapipe Vulkan driver (CPU) from bookworm-backports.
# Mesa 22 (plain Debian 12) does not work with Dawn; Mesa 25 from backports does.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

if [ ! -d node_modules/webgpu ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
fi

if node scripts/probe-adapter.mjs >/dev/null 2>&1; then
  echo "setup: WebGPU adapter available: $(node scripts/probe-adapter.mjs)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "setup: no WebGPU adapter and not root; install mesa-vulkan-drivers (Mesa >= 25) from bookworm-backports" >&2
  exit 1
fi
echo "setup: no WebGPU adapter; installing Mesa lavapipe from bookworm-backports"
# Use the same mirror and components as the machine's existing Debian source.
src=$(grep -rhE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -m1 -oE 'https?://[^ ]*debian/?' || true)
src=${src:-http://deb.debian.org/debian}
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb ${src} bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
node scripts/probe-adapter.mjs
