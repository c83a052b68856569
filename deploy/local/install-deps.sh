#!/usr/bin/env bash
# Installs, from Debian's packages and PyPI, whatever the build, the local stack and the
# tests need and is missing. Safe to run again: it does nothing when all is there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

packages=(mariadb-server mariadb-client redis-server nginx default-libmysqlclient-dev
          libhiredis-dev libssl-dev wrk python3-venv pkg-config curl openssl iproute2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's packages start their services; the project runs its own instances instead.
  for s in mariadb redis-server nginx; do service "$s" stop >/dev/null 2>&1 || true; done
fi

# Python test clients in the project's own virtual environment.
venv="$top/.venv"
requirements="$here/requirements.txt"
stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ]; then
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi
