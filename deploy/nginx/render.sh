#!/usr/bin/env bash
# Renders nginx.conf.template with chat-http.conf, chat-actuator.conf and chat-locations.conf inlined.
# usage: render.sh --listen ADDR:PORT --api H:P,H:P --relay H:P,H:P
#                  [--access-log PATH] [--error-log PATH] > nginx.conf
# Used by deploy/local/start-infra.sh, Tests/TestSupport/NginxFixture.swift and to produce
# the committed local/nginx.conf and ../../docker/nginx/nginx.conf (see README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Bash 5.2 would expand & and backslashes in ${text//pattern/replacement}: keep them literal.
shopt -u patsub_replacement 2>/dev/null || true
listen="" api="" relay="" access_log="logs/access.log" error_log="logs/error.log"
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) listen=$2; shift 2 ;;
    --api) api=$2; shift 2 ;;
    --relay) relay=$2; shift 2 ;;
    --access-log) access_log=$2; shift 2 ;;
    --error-log) error_log=$2; shift 2 ;;
    *) echo "render.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$listen" ] || { echo "render.sh: --listen is required" >&2; exit 2; }
[ -n "$api" ] || { echo "render.sh: --api is required" >&2; exit 2; }
[ -n "$relay" ] || { echo "render.sh: --relay is required" >&2; exit 2; }

servers() { # comma-separated host:port list -> server lines
  local IFS=, s out=""
  for s in $1; do
    [[ "$s" =~ ^[A-Za-z0-9._-]+:[0-9]+$ ]] || { echo "render.sh: bad upstream '$s' (want host:port)" >&2; exit 2; }
    out+="        server $s max_fails=1 fail_timeout=2s;"$'\n'
  done
  printf '%s' "${out%$'\n'}"
}
api_servers=$(servers "$api")
relay_servers=$(servers "$relay")
locations=$(cat "$here/chat-actuator.conf"; echo; cat "$here/chat-locations.conf")
locations=$(sed -e 's/^/        /' -e 's/^ *$//' <<< "$locations")
http_common=$(sed -e 's/^/    /' -e 's/^ *$//' "$here/chat-http.conf")

text=$(cat "$here/nginx.conf.template")
text=${text//@@API_SERVERS@@/$api_servers}
text=${text//@@RELAY_SERVERS@@/$relay_servers}
text=${text//@@LOCATIONS@@/$locations}
text=${text//@@HTTP_COMMON@@/$http_common}
text=${text//@@LISTEN@@/$listen}
text=${text//@@ACCESS_LOG@@/$access_log}
text=${text//@@ERROR_LOG@@/$error_log}
printf '%s\n' "$text"
