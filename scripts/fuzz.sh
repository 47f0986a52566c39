#!/usr/bin/env bash
# Fuzzes the cutroom-timeline readers with cargo-fuzz (libFuzzer).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Runs each target (default: all of them) for SECONDS (default 60) and prints the number of
# executions per target. Seed corpora are written by the fuzz crate's `seeds` example into
# crates/cutroom-timeline/fuzz/corpus/<target>/ the first time. Crashes are left by libFuzzer
# in crates/cutroom-timeline/fuzz/artifacts/<target>/; reproduce one with
#   (cd crates/cutroom-timeline/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>)
#
# cargo-fuzz needs nightly-only compiler flags; with only a stable toolchain installed,
# RUSTC_BOOTSTRAP=1 unlocks them.
#
# FUZZ_KEEP_GOING=1 keeps fuzzing after a crash (libFuzzer -fork=1 -ignore_crashes=1), to
# collect several distinct findings in one run.
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")/.." && pwd)"
fuzz_dir="$here/crates/cutroom-timeline/fuzz"
all_targets=(edl srt webvtt cube otio fcpxml project)
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=("${all_targets[@]}")
fi

if ! command -v cargo-fuzz >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
    echo "cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2
    exit 2
fi
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
cd "$fuzz_dir"

if [ ! -d corpus ]; then
    echo "writing seed corpora"
    cargo run --quiet --example seeds -- corpus
fi

declare -A execs
declare -A status
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    log="$(mktemp)"
    echo "== $target: fuzzing for ${seconds}s"
    extra=()
    if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then
        extra=(-fork=1 -ignore_crashes=1)
    fi
    before="$(find "artifacts/$target" -type f | wc -l)"
    set +e
    cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${extra[@]}" >"$log" 2>&1
    rc=$?
    set -e
    n="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    if [ -z "$n" ]; then
        # Fork mode (or a crash before the final stats): the last progress line's #count.
        n="$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')"
    fi
    execs[$target]="$n"
    found=$(( $(find "artifacts/$target" -type f | wc -l) - before ))
    if [ "$rc" -eq 0 ] && [ "$found" -gt 0 ]; then
        # Fork mode ignores crashes but still saves them.
        rc=1
    fi
    if [ "$rc" -eq 0 ]; then
        status[$target]="ok"
    else
        status[$target]="FAILED (exit $rc, $found new in artifacts/$target)"
        grep -E "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$log" | head -n 8 >&2 || true
        tail -n 5 "$log" >&2
    fi
    rm -f "$log"
done

echo
printf '%-10s %14s  %s\n' target executions result
failed=0
for target in "${targets[@]}"; do
    printf '%-10s %14s  %s\n' "$target" "${execs[$target]:-?}" "${status[$target]}"
    [ "${status[$target]}" = ok ] || failed=1
done
exit "$failed"
