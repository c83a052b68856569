#!/usr/bin/env bash
# The demo `make run` ends with. At this stage: each instance's health through nginx.
# Hook for the lead: extend it into a short conversation (sign up, open a room, send, receive
# over /ws) once the services have those routes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
front="http://127.0.0.1:$NGINX_PORT"

log "demo: health of every instance, through nginx at $front"
# ChatAPI is round robin: a few requests reach every instance (X-Upstream names it).
declare -A seen=()
api_count=$(wc -w <<< "$API_PORTS")
for _ in $(seq 1 $((api_count * 3))); do
  line=$(curl -sS --max-time 3 -o /dev/null -D - "$front/actuator/health" -w '%{http_code}' \
    | tr -d '\r' | awk 'tolower($1)=="x-upstream:"{u=$2} /^[0-9]+$/{c=$1} END{print u, c}')
  up=${line% *}
  [ -n "$up" ] && [ -z "${seen[api $up]:-}" ] && { seen[api $up]=1; echo "    ChatAPI   $up  /actuator/health -> HTTP ${line##* }"; }
done
# ChatRelay is sticky by client address: clients from different loopback addresses reach
# different relays.
relay_count=$(wc -w <<< "$RELAY_PORTS")
for n in $(seq 1 40); do
  line=$(curl -sS --max-time 3 --interface "127.0.0.$n" -o /dev/null -D - "$front/relay/actuator/health" -w '%{http_code}' \
    | tr -d '\r' | awk 'tolower($1)=="x-upstream:"{u=$2} /^[0-9]+$/{c=$1} END{print u, c}')
  up=${line% *}
  [ -n "$up" ] && [ -z "${seen[relay $up]:-}" ] && { seen[relay $up]=1; echo "    ChatRelay $up  /actuator/health -> HTTP ${line##* } (client 127.0.0.$n)"; }
  [ "$(printf '%s\n' "${!seen[@]}" | grep -c '^relay')" -ge "$relay_count" ] && break
done
