#!/usr/bin/env bash
# Silero VAD (voice-activity detection, MIT licence) from the `silero-vad` PyPI wheel.
#
# Installs $CUTROOM_MODELS/silero-vad/silero_vad_16k_sequence.onnx: the 16 kHz variant without
# `If` nodes with explicit LSTM state, which the pure-Rust tract 0.23 runtime loads and optimises.
# Idempotent: does nothing when the file is already there with the expected size.
set -euo pipefail

VERSION=6.2.3
FILE=silero_vad_16k_sequence.onnx
SIZE=1246165
models="${CUTROOM_MODELS:-$(cd "$(dirname "$0")/../.." && pwd)/models}"
dest="$models/silero-vad"

if [[ -f "$dest/$FILE" && "$(stat -c %s "$dest/$FILE")" == "$SIZE" ]]; then
    exit 0
fi
echo "models: installing silero-vad $VERSION into $dest" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --disable-pip-version-check --no-deps -d "$tmp" "silero-vad==$VERSION"
wheel=$(ls "$tmp"/silero_vad-*.whl)
python3 - "$wheel" "$tmp" "$FILE" <<'PY'
import sys, zipfile
wheel, out, name = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    with open(f"{out}/{name}", "wb") as f:
        f.write(z.read(f"silero_vad/data/{name}"))
PY
if [[ "$(stat -c %s "$tmp/$FILE")" != "$SIZE" ]]; then
    echo "models: $FILE from silero-vad $VERSION has an unexpected size" >&2
    exit 1
fi
mkdir -p "$dest"
mv "$tmp/$FILE" "$dest/$FILE.part"
mv "$dest/$FILE.part" "$dest/$FILE"
printf 'silero-vad %s (PyPI wheel), file %s, MIT licence\n' "$VERSION" "$FILE" > "$dest/SOURCE"
