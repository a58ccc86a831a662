#!/bin/sh
# Makes the TLS files the containers share, once (kept in the `certs` volume):
# - web-client.cert/.key: hcpool-web's client certificate (stakepooldclientcert/key),
#   which each stakepoold requires (clientcafile);
# - stakepoold1/rpc.cert/.key, stakepoold2/rpc.cert/.key: each daemon's gRPC certificate,
#   which the web app pins (stakepooldcerts).
# The daemons would generate their own on first start, but only after reaching their
# wallet, and the web app refuses to start without them: made here first. P-256.
set -eu
dir=${1:-/certs}
gen() { # cert key common-name
    [ -f "$2" ] && return 0
    mkdir -p "$(dirname "$1")"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/CN=$3" -addext "subjectAltName=DNS:localhost,DNS:$3" \
        -keyout "$2" -out "$1"
    chmod 600 "$2"
}
gen "$dir/web-client.cert" "$dir/web-client.key" hcpool-web
gen "$dir/stakepoold1/rpc.cert" "$dir/stakepoold1/rpc.key" stakepoold1
gen "$dir/stakepoold2/rpc.cert" "$dir/stakepoold2/rpc.key" stakepoold2
# The services run as the image's hcpool user.
if id hcpool >/dev/null 2>&1; then chown -R hcpool "$dir"; fi
