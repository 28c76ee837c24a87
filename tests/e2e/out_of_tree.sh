#!/usr/bin/env bash
# Install Strata into a temporary prefix, build docs/plugin_template against it with
# find_package(Strata), and check that the installed `strata` finds and documents it.
set -euo pipefail
SRC=$1 BUILD=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
cmake -S "$SRC/docs/plugin_template" -B "$WORK/plugin" -G Ninja -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/plugin" >/dev/null
export STRATA_PLUGIN_PATH="$WORK/plugin/plugins"
out=$("$WORK/prefix/bin/strata" info example.counter)
echo "$out"
grep -q "service .*time .*\"5ns\"" <<<"$out"
grep -q "received .*counter" <<<"$out"
grep -q "example_counter.so" <<<"$out"
# the installed binary also finds the shipped plugins of its prefix
"$WORK/prefix/bin/strata" plugins | grep -q "bench.phold_lp"
echo "out-of-tree plugin: ok"
