#!/usr/bin/env bash
# `make bench`: every benchmark that exists, one after the other, each printing its own plain
# figures: bench-kit.sh (server kit vs nginx), bench-api.sh (ChatAPI through nginx, on the
# local stack: a running one, or one it starts and stops), bench-fanout.sh (ChatRelay fan-out,
# when present). A failing benchmark is reported and the next one still runs; the exit status
# says whether all passed. BENCH_ONLY="api fanout" runs a subset.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
only=${BENCH_ONLY:-kit api fanout}
failed=()
for name in kit api fanout; do
  [[ " $only " == *" $name "* ]] || continue
  script="$here/bench-$name.sh"
  if [ ! -x "$script" ]; then
    echo "#### bench-$name.sh: not present, skipped"
    continue
  fi
  echo "#### bench-$name.sh ($(date -u +%H:%M:%S) UTC)"
  "$script" || { echo "#### bench-$name.sh FAILED (exit $?)"; failed+=("$name"); }
  echo
done
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
