#!/usr/bin/env bash
# Fuzzes the webhook receiving code with cargo-fuzz (libFuzzer), one target after the other:
#   kirim_signature_header  the X-Kirim-Signature parser and Kirim verification
#   event_parser            Kirim.chat and Kapso event parsing
# Exits non-zero when a target crashes (its input is left in fuzz/artifacts/<target>/).
# Usage: .ci/fuzz.sh [SECONDS]: the time per target is SECONDS, else $FUZZ_SECONDS, else 60.
# Works on a stable toolchain through RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-${FUZZ_SECONDS:-60}}"
case "$seconds" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi

# Seed the corpora with real deliveries, so the fuzzer starts from valid shapes.
mkdir -p fuzz/corpus/event_parser fuzz/corpus/kirim_signature_header
for fixture in tests/fixtures/webhooks/*.json; do
    name="$(basename "$fixture" .json)"
    { printf '\0'; cat "$fixture"; } > "fuzz/corpus/event_parser/seed-$name-0"
    { printf '\1'; cat "$fixture"; } > "fuzz/corpus/event_parser/seed-$name-1"
    { printf '\x18'; cat "$fixture"; } > "fuzz/corpus/event_parser/seed-$name-batch"
done
printf 't=1764000000,v1=%s' "$(printf '0%.0s' $(seq 64))" \
    > fuzz/corpus/kirim_signature_header/seed-one
printf ' v1 = %s , t = 1764000000 ,v1=,v0=ab' "$(printf 'A%.0s' $(seq 64))" \
    > fuzz/corpus/kirim_signature_header/seed-two

status=0
for target in kirim_signature_header event_parser signed_bytes_only; do
    echo "== cargo fuzz run $target (${seconds}s)"
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds"; then
        echo "fuzz target $target failed; see fuzz/artifacts/$target/" >&2
        status=1
    fi
done
exit "$status"
