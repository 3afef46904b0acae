#!/usr/bin/env bash
# Installs the Debian packages that provide a check's missing commands, without starting their
# services.
#
# Usage: .ci/ensure-tools.sh CHECK_NAME COMMAND=PACKAGE...
#   e.g. .ci/ensure-tools.sh check-prometheus promtool=prometheus jq=jq curl=curl
# The packages' postinst would start their services; a policy-rc.d that refuses keeps them from
# doing so (Docker images ship one; it is added only for the install when absent).
set -euo pipefail
name=$1
shift
missing=()
for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null && continue
    [[ " ${missing[*]} " == *" ${pair#*=} "* ]] || missing+=("${pair#*=}")
done
((${#missing[@]})) || exit 0
echo "$name: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
policy_added=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
fi
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if ((policy_added)); then rm -f /usr/sbin/policy-rc.d; fi
