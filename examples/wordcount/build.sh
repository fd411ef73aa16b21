#!/usr/bin/env bash
# Builds wordcount.jar, a jocclum guest program, against the guest API jar.
# Usage: examples/wordcount/build.sh   (from anywhere; needs a JDK >= 25 as bin/jocclum does)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bin/lib/jdk.sh"
java="$(jocclum_find_java)" || { echo "wordcount: no JDK >= 25 found (set JAVA_HOME)" >&2; exit 1; }
jdk="$(dirname "$(dirname "$(readlink -f "$java")")")"
api="$root/api/target/jocclum-api.jar"
if [ ! -f "$api" ]; then
  (cd "$root" && mvn -q -B -pl api package -DskipTests)
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$jdk/bin/javac" --release 25 -cp "$api" -d "$out/classes" "$here"/src/example/*.java
printf 'Jocclum-Main-Class: example.WordCount\n' > "$out/manifest.txt"
"$jdk/bin/jar" --create --file "$here/wordcount.jar" --manifest "$out/manifest.txt" -C "$out/classes" .
echo "built $here/wordcount.jar"
