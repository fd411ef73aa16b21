#!/usr/bin/env bash
# The relying party: verifies the enclave's quote (collateral and root from INSTANCE/collateral),
# checks MRENCLAVE (jocclum print mrenclave in INSTANCE) and the key binding, then exchanges one
# encrypted message with the enclave listening on 127.0.0.1:PORT.
# Usage: examples/remote-attestation/client.sh [INSTANCE] [PORT] [MESSAGE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
inst="${1:-/tmp/jocclum-ra}"
port="${2:-7878}"
. "$root/bin/lib/jdk.sh"
java="$(jocclum_find_java)" || exit 1
mrenclave="$(cd "$inst" && "$root/bin/jocclum" print mrenclave)"
exec "$java" -cp "$root/cli/target/jocclum.jar" "$here/src/client/example/AttestationClient.java" \
  "$port" "$inst/collateral" "$mrenclave" "${3:-hello, enclave}"
