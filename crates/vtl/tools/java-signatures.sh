#!/usr/bin/env bash
# Regenerates src/java_sigs.rs from the JDK and Velocity 1.7 (needs the reference renderer's packages:
# apt-get install -y velocity default-jdk-headless).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
J=/usr/share/java
CP="$J/velocity.jar:$J/commons-collections3.jar:$J/commons-lang.jar"
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
javac -nowarn -cp "$CP" -d "$BUILD" "$HERE/JavaSignatures.java"
java -cp "$BUILD:$CP" JavaSignatures > "$HERE/../src/java_sigs.rs"
echo "wrote $HERE/../src/java_sigs.rs"
