#!/bin/sh
# Fuzz the template engine (parser and renderer) for SECONDS (default 600).
# Seeds the corpus with the conformance templates from ../shared (read, never copied into the
# project) and the benchmark templates. Needs nightly features: RUSTC_BOOTSTRAP=1 lets the
# stable toolchain build with sanitizer coverage.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
seconds=${1:-600}
corpus="$here/corpus/render"
mkdir -p "$corpus"
for f in "$root"/../shared/conformance/velocity-engine/v1.7/templates/*.vm "$root"/bench/templates/*.vm; do
    [ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$f")"
done
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
cd "$here/.."
RUSTC_BOOTSTRAP=1 exec cargo fuzz run render -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10
