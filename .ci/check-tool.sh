#!/usr/bin/env bash
# The gpuexec tool as a user gets it: `dotnet pack` of src/GpuExec.Cli (one package per platform
# and the GpuExec.Cli package pointing to them), `dotnet tool install GpuExec.Cli` from that folder
# into a temporary tool path with an empty NuGet cache, then the installed `gpuexec` runs the shared
# conformance example with a RocksDB state directory; its dump must be the expected one, byte for byte.
# Prints "tool check: ok ..." or, last, one line "tool check: FAILED: <why>" (exit 1).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
example="$repo/../shared/examples/conformance-2"
rids="linux-x64 linux-arm64 osx-x64 osx-arm64 win-x64"
max_mib=40  # each platform's package; all platforms' natives in one were 127 MiB
start=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/gpuexec-tool.XXXXXX") || { echo "tool check: FAILED: cannot create a temp dir"; exit 1; }
trap 'rm -rf "$work"' EXIT
log="$work/step.log"
fail() {
  [ -s "$log" ] && tail -n 25 "$log"
  echo "tool check: FAILED: $*"
  exit 1
}
step() { "$@" >"$log" 2>&1; }

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Packaging.props" | head -n 1)
[ -n "$version" ] || fail "no <Version> in Packaging.props"
feed="$work/packages"
step dotnet pack "$repo/src/GpuExec.Cli" -c Release -o "$feed" || fail "dotnet pack src/GpuExec.Cli failed"
pack_s=$((SECONDS - start))
[ -f "$feed/GpuExec.Cli.$version.nupkg" ] || fail "dotnet pack made no GpuExec.Cli.$version.nupkg"
sizes=""
for rid in $rids; do
  pkg="$feed/GpuExec.Cli.$rid.$version.nupkg"
  [ -f "$pkg" ] || fail "dotnet pack made no GpuExec.Cli.$rid.$version.nupkg"
  mib=$(( $(stat -c %s "$pkg") / 1048576 ))
  [ "$mib" -le "$max_mib" ] || fail "GpuExec.Cli.$rid is $mib MiB, more than $max_mib: does it carry other platforms' natives?"
  sizes="${sizes:+$sizes, }$rid $mib MiB"
done

export NUGET_PACKAGES="$work/nuget-packages" NUGET_HTTP_CACHE_PATH="$work/nuget-http-cache"
# Only the folder: the pointer package must find its platform's package there.
step dotnet tool install GpuExec.Cli --version "$version" --tool-path "$work/tool" --add-source "$feed" --ignore-failed-sources ||
  fail "dotnet tool install GpuExec.Cli from the packed folder failed"
[ -x "$work/tool/gpuexec" ] || fail "the installed tool has no gpuexec command"
step "$work/tool/gpuexec" run --genesis "$example/genesis.json" --block "$example/block-1.gxb" --block "$example/block-2.gxb" \
  --out "$work/dump.json" --state "$work/state" --executor parallel || fail "the installed gpuexec exited with $? on $example"
cmp -s "$work/dump.json" "$example/expected-dump.json" || fail "the installed gpuexec's dump differs from $example/expected-dump.json"

echo "tool check: ok: gpuexec installed from the packed GpuExec.Cli $version ($sizes) ran the conformance example to the expected dump;" \
  "$((SECONDS - start))s (pack ${pack_s}s)"
