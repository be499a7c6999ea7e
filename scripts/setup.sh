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

# Figures are rendered to PNG with system fonts; install DejaVu when the machine has no fonts at all.
if [ ! -d /usr/share/fonts/truetype/dejavu ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing fonts-dejavu-core (text in PNG figures)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null || echo "setup: could not install fonts; PNG figures will lack text" >&2
fi

# The browser test drives Debian's Chromium (WebGPU on SwiftShader) through playwright-core.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing chromium (browser end-to-end test)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null || echo "setup: could not install chromium; the browser test will fail" >&2
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
# Use the same mirror and components as the machine's existing Debian source (one-line or deb822 format).
src="" comps=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  src=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  comps=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {f=1} f && /^Components:/ {sub(/^Components: */, ""); print; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$src" ] && [ -f /etc/apt/sources.list ]; then
  line=$(grep -m1 -E '^deb +(\[[^]]*\] +)?https?://[^ ]*debian/? +bookworm ' /etc/apt/sources.list || true)
  src=$(echo "$line" | grep -oE 'https?://[^ ]*' || true)
  comps=$(echo "$line" | sed -E 's/^deb +(\[[^]]*\] +)?[^ ]+ +[^ ]+ +//')
fi
src=${src:-http://deb.debian.org/debian}
comps=${comps:-main}
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb ${src} bookworm-backports ${comps}" > /etc/apt/sources.list.d/bookworm-backports.list
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
node scripts/probe-adapter.mjs
