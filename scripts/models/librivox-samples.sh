#!/usr/bin/env bash
# Test recordings: the five LibriVox utterances (Sense and Sensibility, 16 kHz mono WAV, public
# domain) with their transcripts from the test data of the `pocketsphinx` 5.1.1 source
# distribution on PyPI.
#
# Installs $CUTROOM_MODELS/librivox/<utterance>.wav and .txt (the WER test and
# bench/subtitles.sh read them). Only the sdist carries test data, so the sdist is fetched
# (`--no-binary`; pip prepares its metadata in an isolated build environment, nothing is
# compiled). Idempotent: does nothing when the SOURCE file written last is there.
set -euo pipefail

VERSION=5.1.1
COUNT=5
models="${CUTROOM_MODELS:-$(cd "$(dirname "$0")/../.." && pwd)/models}"
dest="$models/librivox"

if [[ -f "$dest/SOURCE" && "$(ls "$dest"/*.wav 2>/dev/null | wc -l)" == "$COUNT" ]]; then
    exit 0
fi
echo "models: installing the LibriVox test utterances from pocketsphinx $VERSION into $dest" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary pocketsphinx \
    -d "$tmp" "pocketsphinx==$VERSION"
sdist="$tmp/pocketsphinx-$VERSION.tar.gz"
mkdir -p "$tmp/x"
tar -xzf "$sdist" -C "$tmp/x" --wildcards \
    "pocketsphinx-$VERSION/test/data/librivox/*.wav" \
    "pocketsphinx-$VERSION/test/data/librivox/*.txt"
src="$tmp/x/pocketsphinx-$VERSION/test/data/librivox"
n=$(ls "$src"/*.wav | wc -l)
if [[ "$n" != "$COUNT" ]]; then
    echo "models: expected $COUNT LibriVox utterances in pocketsphinx $VERSION, found $n" >&2
    exit 1
fi
for wav in "$src"/*.wav; do
    [[ -s "${wav%.wav}.txt" ]] || { echo "models: no transcript for $(basename "$wav")" >&2; exit 1; }
done
mkdir -p "$models"
rm -rf "$dest.part"
mkdir "$dest.part"
cp "$src"/*.wav "$src"/*.txt "$dest.part/"
printf 'pocketsphinx %s sdist (PyPI), test/data/librivox: LibriVox recordings (public domain) and transcripts\n' \
    "$VERSION" > "$dest.part/SOURCE"
rm -rf "$dest"
mv "$dest.part" "$dest"
