#!/usr/bin/env bash
# Builds the remote-attestation example: the enclave's server (attested-server.jar, a guest program),
# an instance with it at INSTANCE (default /tmp/jocclum-ra), and the simulated platform's collateral
# in INSTANCE/collateral.
# Usage: examples/remote-attestation/build.sh [INSTANCE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
inst="${1:-/tmp/jocclum-ra}"
. "$root/bin/lib/jdk.sh"
java="$(jocclum_find_java)" || exit 1
jdk="$(dirname "$(dirname "$(readlink -f "$java")")")"
jocclum_ensure_built "$root/cli/target/jocclum.jar" "$root" || exit 1
api="$root/api/target/jocclum-api.jar"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$jdk/bin/javac" --release 25 -cp "$api" -d "$out/classes" "$here"/src/server/example/*.java
printf 'Jocclum-Main-Class: example.AttestedServer\n' > "$out/manifest.txt"
"$jdk/bin/jar" --create --file "$here/attested-server.jar" --manifest "$out/manifest.txt" -C "$out/classes" .
[ -f "$inst/Occlum.json" ] || "$root/bin/jocclum" new "$inst"
cp "$here/attested-server.jar" "$inst/image/bin/"
(cd "$inst" && "$root/bin/jocclum" build && "$root/bin/jocclum" collateral export collateral)
echo "built $inst: run the server with: (cd $inst && jocclum run /bin/attested-server.jar 7878)"
