#!/usr/bin/env bash
# Install Strata into a temporary prefix, build plugins/example out of tree against it with
# find_package(Strata), load it through STRATA_PLUGIN_PATH, document it with the installed
# `strata info`, run a topology that uses it, and check its statistics against the plugin's
# own command (`strata example-expect`, declared in its manifest).
set -euo pipefail
SRC=$1 BUILD=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
cmake -S "$SRC/plugins/example" -B "$WORK/plugin" -G Ninja -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/plugin" >/dev/null
export STRATA_PLUGIN_PATH="$WORK/plugin/plugins"
STRATA="$WORK/prefix/bin/strata"
out=$("$STRATA" info example.counter)
echo "$out"
grep -q "service .*time .*\"5ns\"" <<<"$out"
grep -q "received .*counter" <<<"$out"
grep -q "example_counter.so" <<<"$out"
plugins=$("$STRATA" plugins)
grep -q "bench.phold_lp" <<<"$plugins"                 # the prefix's shipped plugins are found too
grep -q "strata example-expect" <<<"$plugins"          # and the plugin's command, under its plugin
"$STRATA" help | grep -q "example-expect .*\[example_counter\]"
"$STRATA" help example-expect | grep -q -- "--service TIME"
rc=0; "$STRATA" example-expect --service 5 2>/dev/null || rc=$?
[ "$rc" = 2 ]                                          # bad input: exit 2
expect=$("$STRATA" example-expect --initial 3 --service 50ns --latency 1ns)
echo "$expect"
cat >"$WORK/two.toml" <<'TOML'
[[component]]
name = "a"
type = "example.counter"
params = { initial = 3, service = "4ns" }
[[component]]
name = "b"
type = "example.counter"
preset = "slow"
[[link]]
from = "a.io"
to = "b.io"
latency = "1ns"
TOML
"$STRATA" run "$WORK/two.toml" -q --out "$WORK/out"
python3 - "$WORK/out/stats.json" "$expect" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
expect = dict(line.split() for line in sys.argv[2].splitlines())
c = s["components"]
# a sends 3 requests at t=0; b (preset slow: 5 ns x 10) answers each 50 ns after arrival
assert c["b"]["stats"]["received"] == 3, c
assert c["a"]["stats"]["answered"] == 3, c
assert c["a"]["stats"]["received"] == 0, c
assert s["simulation"]["end_time_ps"] == 1000 + 50000 + 1000, s["simulation"]
assert abs(c["b"]["energy"]["dynamic_j"] - 3e-12) < 1e-24, c["b"]
# the plugin's command predicts the same run
assert int(expect["b.received"]) == c["b"]["stats"]["received"], expect
assert int(expect["a.answered"]) == c["a"]["stats"]["answered"], expect
assert int(expect["end_time_ps"]) == s["simulation"]["end_time_ps"], expect
print("out-of-tree plugin: ok")
PY
