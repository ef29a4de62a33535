#!/usr/bin/env bash
# The README's Library API program, built the way an integrator builds it: against the packages
# `dotnet pack` makes (not the projects), in a project outside the repository (so none of its
# Directory.*.props or central package versions apply), restored from an empty NuGet cache
# (the local package folder for GpuExec.*, nuget.org for the rest). Then run on the shared
# conformance example; the root it prints must be the expected dump's.
# Checks first that the README's code block is byte-identical to src/GpuExec.Example/Program.cs.
# Prints "example check: ok ..." or, last, one line "example check: FAILED: <why>" (exit 1).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
program="$repo/src/GpuExec.Example/Program.cs"
example="$repo/../shared/examples/conformance-2"
start=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/gpuexec-example.XXXXXX") || { echo "example check: FAILED: cannot create a temp dir"; exit 1; }
trap 'rm -rf "$work"' EXIT
log="$work/step.log"
fail() {
  [ -s "$log" ] && tail -n 25 "$log"
  echo "example check: FAILED: $*"
  exit 1
}
# Runs a step with its output in $log, shown only when it fails.
step() { "$@" >"$log" 2>&1; }

# 1. The README cannot drift from the program CI builds: the first csharp block of its Library API section.
awk '/^## / { in_section = ($0 == "## Library API") }
     in_section && /^```/ { if (in_block) exit; if ($0 == "```csharp") { in_block = 1; next } }
     in_section && in_block { print }' "$repo/README.md" >"$work/readme-block.cs"
[ -s "$work/readme-block.cs" ] || fail "README.md has no \`\`\`csharp block in its \"## Library API\" section"
cmp -s "$work/readme-block.cs" "$program" ||
  { diff -u "$program" "$work/readme-block.cs" | head -n 25; fail "README.md's Library API code block differs from src/GpuExec.Example/Program.cs"; }

# 2. The packages, and the versions the temporary project asks for.
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Packaging.props" | head -n 1)
[ -n "$version" ] || fail "no <Version> in Packaging.props"
pkgver() { sed -n "s:.*<PackageVersion Include=\"$1\" Version=\"\([^\"]*\)\".*:\1:p" "$repo/Directory.Packages.props"; }
di_version=$(pkgver Microsoft.Extensions.DependencyInjection)
console_version=$(pkgver Microsoft.Extensions.Logging.Console)
[ -n "$di_version" ] && [ -n "$console_version" ] || fail "Directory.Packages.props has no Microsoft.Extensions.DependencyInjection or .Logging.Console version"

feed="$work/packages"
pack_start=$SECONDS
for project in src/GpuExec.Core kernels/GpuExec.Kernels src/GpuExec.Engine src/GpuExec.Storage.RocksDb; do
  step dotnet pack "$repo/$project" -c Release -o "$feed" || fail "dotnet pack $project failed"
done
for id in GpuExec.Core GpuExec.Kernels GpuExec.Engine GpuExec.Storage.RocksDb; do
  [ -f "$feed/$id.$version.nupkg" ] || fail "dotnet pack made no $id.$version.nupkg (version from Packaging.props)"
done
pack_s=$((SECONDS - pack_start))

# 3. A fresh console project; an empty Directory.Build.props ends MSBuild's search upwards here.
app="$work/app"
mkdir -p "$app"
echo '<Project />' >"$work/Directory.Build.props"
echo '<Project />' >"$work/Directory.Build.targets"
echo '<Project />' >"$work/Directory.Packages.props"
cp "$program" "$app/Program.cs"
cat >"$app/Example.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <!-- Advisories published later would fail this check on a day nothing here changed. -->
    <NuGetAudit>false</NuGetAudit>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="GpuExec.Engine" Version="$version" />
    <PackageReference Include="GpuExec.Storage.RocksDb" Version="$version" />
    <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="$di_version" />
    <PackageReference Include="Microsoft.Extensions.Logging.Console" Version="$console_version" />
  </ItemGroup>
</Project>
EOF
# GpuExec.* only from the local folder, so a same-named package on nuget.org is never taken instead.
cat >"$app/NuGet.Config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="GpuExec.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
EOF

export NUGET_PACKAGES="$work/nuget-packages" NUGET_HTTP_CACHE_PATH="$work/nuget-http-cache"
restore_start=$SECONDS
step dotnet restore "$app/Example.csproj" || fail "dotnet restore of the example against the packed packages failed"
restore_s=$((SECONDS - restore_start))
build_start=$SECONDS
step dotnet build "$app/Example.csproj" -c Release --no-restore || fail "the README program does not build against the packed packages"
build_s=$((SECONDS - build_start))
dll="$app/bin/Release/net10.0/Example.dll"

# 4. Run it: once committing to a new store, once reading that store back with no block.
expected=$(sed -n 's/^ *"state_root": *"\([0-9a-f]*\)".*/\1/p' "$example/expected-dump.json" | head -n 1)
[ -n "$expected" ] || fail "no state_root in $example/expected-dump.json"
step dotnet "$dll" "$example/genesis.json" "$example/block-1.gxb" "$example/block-2.gxb" --state "$work/state" ||
  fail "the example exited with $? on $example"
got=$(sed -n 's/^state_root \([0-9a-f]*\)$/\1/p' "$log")
[ "$got" = "$expected" ] || fail "the example printed state_root '${got}', the expected dump's is $expected"
step dotnet "$dll" "$example/genesis.json" --state "$work/state" || fail "the example exited with $? reopening its store"
got=$(sed -n 's/^state_root \([0-9a-f]*\)$/\1/p' "$log")
[ "$got" = "$expected" ] || fail "reopened, the store gave state_root '${got}', the expected dump's is $expected"

echo "example check: ok: README block = Program.cs; built on packages $version from an empty NuGet cache; state_root $expected;" \
  "$((SECONDS - start))s (pack ${pack_s}s, restore ${restore_s}s, build ${build_s}s)"
