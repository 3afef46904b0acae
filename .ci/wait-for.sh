# Sourced by the checks that start servers; needs the caller's `die`.
#
# wait_for DESCRIPTION COMMAND...: runs COMMAND every half second until it succeeds, for up to
# 60 s, and fails at once when a server listed in `servers` ("PID:NAME PID:NAME", names without
# spaces) has exited.
wait_for() {
    local what=$1 server
    shift
    for _ in $(seq 1 120); do
        "$@" >/dev/null 2>&1 && return 0
        for server in ${servers:-}; do
            kill -0 "${server%%:*}" 2>/dev/null || die "${server#*:} exited"
        done
        sleep 0.5
    done
    die "timed out waiting for $what"
}
