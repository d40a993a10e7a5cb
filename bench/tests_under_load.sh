#!/usr/bin/env bash
# Runs the README's test command the way a new user would, several times, from a fresh clone
# and a fresh venv each time, either on two idle cores or on one core that a CPU burner keeps
# busy. It shows whether the project's own tests depend on how fast the machine is.
#
#   bench/tests_under_load.sh busy 3            # pinned to core 0, a busy loop pinned beside it
#   CORE=1 WORKDIR=/tmp/tul1 bench/tests_under_load.sh busy 3   # the same on core 1, beside it
#   bench/tests_under_load.sh idle 3            # all cores, nothing else started
#
# Each run's summary line and wall time go to stdout; whole logs stay in $WORKDIR (default
# /tmp/tests-under-load). The clone is of the committed HEAD; ../shared is copied beside it.
# Started from a script in the background, the runs inherit Ctrl-C ignored; the tests that
# send it start their children with it restored.
set -euo pipefail
mode=${1:?usage: tests_under_load.sh busy|idle [runs]}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORKDIR:-/tmp/tests-under-load}
case $mode in
  busy) pin=(taskset -c "${CORE:-0}") ;;
  idle) pin=() ;;
  *) echo "tests_under_load.sh: mode must be busy or idle, not $mode" >&2; exit 2 ;;
esac
mkdir -p "$work"
burner=
if [ "$mode" = busy ]; then
  taskset -c "${CORE:-0}" python3 -c 'while True: pass' &
  burner=$!
  trap 'kill $burner 2>/dev/null || true' EXIT
fi
commit=$(git -C "$repo" rev-parse --short HEAD)
for i in $(seq 1 "$runs"); do
  dir=$work/$mode-$i
  rm -rf "$dir" && mkdir -p "$dir"
  git clone -q "$repo" "$dir/main"
  [ -d "$repo/../shared" ] && cp -r "$repo/../shared" "$dir/shared"
  start=$(date +%s)
  set +e
  (cd "$dir/main" && python3 -m venv .venv && . .venv/bin/activate \
     && "${pin[@]}" bash -c "pip install '.[test]' && python -m pytest -n auto" ) >"$dir/log" 2>&1
  rc=$?
  set -e
  end=$(date +%s)
  summary=$(grep -E '(passed|failed|error)' "$dir/log" | tail -1)
  echo "$mode run $i of $runs at $commit: exit $rc in $((end - start)) s (install included): $summary"
done
