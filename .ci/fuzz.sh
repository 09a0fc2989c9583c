#!/usr/bin/env bash
# Fuzzes with cargo-fuzz (libFuzzer): one time budget, split evenly over the targets, run one
# after the other:
#   kirim_signature_header     the X-Kirim-Signature parser and Kirim/Kapso verification
#   event_parser               Kirim.chat and Kapso event parsing, and the one-pass parsers
#                              against the serde_json::Value walks they stand for (differential)
#   signed_delivery            correctly signed deliveries: the timestamp check, the delivery
#                              headers (Delivery::from_headers, X-Batch-Size), parsing
#   client_answer              Retry-After, rate-limit headers, error envelopes, decode errors,
#                              and that no planted secret shows in their Debug/Display
#   validate_body              validate's one-pass body check against its Value walk
#   cli_header                 the CLI's `--header 'Name: value'` parser
#   signed_bytes_only          the event and its dedupe key depend on signed bytes only (every
#                              unsigned header flipped, added or removed: the same event and key)
# Exits non-zero when a target crashes (its input is left in fuzz/artifacts/<target>/).
# Usage: .ci/fuzz.sh [TOTAL_SECONDS]: the budget of the whole run is TOTAL_SECONDS, else
# $FUZZ_TOTAL_SECONDS, else 120 (each target gets its share, at least 1 s; building the targets
# comes on top). Works on a stable toolchain through RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(
    kirim_signature_header
    event_parser
    signed_delivery
    client_answer
    validate_body
    cli_header
    signed_bytes_only
)

total="${1:-${FUZZ_TOTAL_SECONDS:-120}}"
case "$total" in
    '' | *[!0-9]*) echo "usage: $0 [TOTAL_SECONDS]" >&2; exit 2 ;;
esac
seconds=$(( total / ${#targets[@]} ))
if [ "$seconds" -lt 1 ]; then
    seconds=1
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi

# Seed the corpora with real deliveries and answers, so the fuzzer starts from valid shapes.
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
done
for fixture in tests/fixtures/webhooks/*.json; do
    name="$(basename "$fixture" .json)"
    { printf '\0'; cat "$fixture"; } > "fuzz/corpus/event_parser/seed-$name-0"
    { printf '\1'; cat "$fixture"; } > "fuzz/corpus/event_parser/seed-$name-1"
    { printf '\x18'; cat "$fixture"; } > "fuzz/corpus/event_parser/seed-$name-batch"
    # signed_delivery reads a few fields first, then takes the rest as the body.
    { head -c 48 /dev/zero; cat "$fixture"; } > "fuzz/corpus/signed_delivery/seed-$name"
    cp "$fixture" "fuzz/corpus/validate_body/seed-$name"
done
printf 't=1764000000,v1=%s' "$(printf '0%.0s' $(seq 64))" \
    > fuzz/corpus/kirim_signature_header/seed-one
printf ' v1 = %s , t = 1764000000 ,v1=,v0=ab' "$(printf 'A%.0s' $(seq 64))" \
    > fuzz/corpus/kirim_signature_header/seed-two
printf '{"whatsapp_webhook": {"url": "http://a", "secret_key": "", "buffer_window_seconds": 99, "events": ["x"]}}' \
    > fuzz/corpus/validate_body/seed-kapso-create
printf '{"error": {"type": "invalid_request_error", "code": "x", "message": "m", "param": "p", "request_id": "r"}}' \
    > fuzz/corpus/client_answer/seed-kirim-envelope
printf '{"status": 422, "error": "URL is invalid", "webhook": {"secret_key": "s"}}' \
    > fuzz/corpus/client_answer/seed-kapso-body
printf 'X-Env: test' > fuzz/corpus/cli_header/seed-one
printf 'Authorization:  Bearer a:b ' > fuzz/corpus/cli_header/seed-two

RUSTC_BOOTSTRAP=1 cargo fuzz build
status=0
for target in "${targets[@]}"; do
    echo "== cargo fuzz run $target (${seconds}s of ${total}s)"
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds"; then
        echo "fuzz target $target failed; see fuzz/artifacts/$target/" >&2
        status=1
    fi
done
exit "$status"
