#!/bin/sh
# Fuzz the template engine (parser and renderer) for SECONDS (default 600).
# Seeds the corpus with the conformance templates from ../shared (read, never copied into the
# project), the benchmark templates, and templates that ask for too much memory or work. Any
# single allocation of 64 MB or more is a crash (the target's memory limit is 1 MiB: the engine
# must refuse sizes before it allocates them). Needs nightly features: RUSTC_BOOTSTRAP=1 lets the
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
# Sizes and growth a template chooses (a NUL separates the template from its JSON data).
seed() { printf '%s' "$2" > "$corpus/seed-limit-$1"; }
seed format-width "#set(\$s = 'x')\$s.format('%099999999999d', 1) \$s.format('%0999999999d', 1) \$s.format('%.999999999f', 1.5)"
seed format-big "\$name.format('%-2147483647s|%.2147483647e', 'a', 2.5)"
seed list-doubling "#set(\$l = [1])#foreach(\$i in [1..64])#set(\$x = \$l.addAll(\$l))#end\$l.size()"
seed list-self "#set(\$l = [1])#set(\$x = \$l.add(\$l))\$l \$l.hashCode() \$l.equals(\$list)"
seed string-doubling "#set(\$s = 'ab')#foreach(\$i in [1..64])#set(\$s = \"\$s\$s\")#set(\$t = \$s + \$s)#end"
seed string-growth "#set(\$s = 'a,b')\$s.repeat(99999999).split(',').size() \$s.replace('', \$s) \$s.indent(2147483647)"
seed big-numbers "#set(\$b = 12345678901234567890)\$b.pow(999999999) \$b.shiftLeft(2147483647) #set(\$x = 12345678901234567890)#foreach(\$i in [1..40])#set(\$x = \$x * \$x)#end"
seed big-decimal "#set(\$d = 12345678901234567890 + 0.5)\$d.scaleByPowerOfTen(-2000000000).add(\$d) \$d.pow(99999) \$d.toPlainString()"
seed evaluate "#set(\$t = '\$name ')#set(\$t = \$t.repeat(99999))#evaluate(\$t)"
printf '%s\000%s' "\$s.toCharArray().size() \$s.getBytes().size() \$l.containsAll(\$l)" \
    "{\"s\": \"$(printf '%04096d' 0)\", \"l\": [$(seq -s, 1 2000)]}" > "$corpus/seed-limit-data"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
cd "$here/.."
RUSTC_BOOTSTRAP=1 exec cargo fuzz run render -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    -malloc_limit_mb=64 -timeout=10
