#!/usr/bin/env bash
# Everything one GPU machine call can tell us, in at most 300 s, bundled into at most 8 files.
#
#   bench/gpu/run-all.sh --pack                 on this (build) machine: writes .device/ (git-ignored, under 40 MiB):
#                                               the .NET runtime, gpuexec and the kernel tests published for
#                                               linux-x64 without natives they do not use, and the shared vectors
#   OUT=DIR bash bench/gpu/run-all.sh           on the GPU machine (carry .device), from the repository root
#   OUT=DIR bench/gpu/run-all.sh --dry-run      every step here, on the CPU with small sizes, from the pack
#
# The pack is unpacked under /tmp into a folder named by its hash, so a re-pack never runs the
# binaries of an older one left on a warm machine. Big inputs, the work files and the CUDA cache
# stay in /tmp. Each step has an expected time and a time limit: a step whose expected time no
# longer fits the budget is skipped (and says so), and no limit runs past the budget. Steps, in
# order of what they are worth:
#   devices        gpuexec devices (and nvidia-smi)
#   verify-cold    one signature with the driver's JIT cache off: the cold start (ILGPU compile + JIT)
#   kernel-tests   every kernel test class on CUDA against libsodium's verdicts (fills the JIT cache)
#   verify-warm    one signature again: the start with the JIT cache filled
#   verify-valid   262,144 valid signatures: the verification rate, set-up not counted
#   verify-mixed   the shared vector file 200 times (valid and invalid counted apart)
#   verify-maxnreg verify-valid with GPUEXEC_PTX_MAXNREG=168 (12 warps per SM instead of 8, with spills)
#   bench-100k     gpuexec bench, 100k transactions on cuda, with the stage plot
#   sanitizer      compute-sanitizer memcheck on a small verify (where the tool exists)
#   ncu            Nsight Compute on one launch of the verify kernel (where the tool exists)
#   sweep-skew     gpuexec bench --sweep skew, 20k transactions, with its plot
#   bench-1m       gpuexec bench, 1M transactions (only if the budget still allows)
# What comes back in $OUT: summary.json (every figure, each step's status and time, the bench
# JSONs embedded), run.log (every step's output), bench-100k-stages.png, sweep-skew.png.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

mode=gpu
case "${1:-}" in
  "") ;;
  --pack) mode=pack ;;
  --dry-run) mode=dry ;;
  *) echo "run-all: unknown argument '$1' (expected --pack, --dry-run or nothing)" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------------------------------------
if [ "$mode" = pack ]; then
  shared=${GPUEXEC_SHARED:-$root/../shared}
  vectors=$shared/vectors/ed25519-libsodium-verdicts.jsonl
  [ -f "$vectors" ] || { echo "run-all: $vectors not found (set GPUEXEC_SHARED)" >&2; exit 2; }
  mkdir -p .device
  rm -rf .device/stage .device/app.tar.xz
  stage=.device/stage
  dotnet publish src/GpuExec.Cli/GpuExec.Cli.csproj -c Release -r linux-x64 --self-contained false \
    -p:UseAppHost=false -o "$stage/gpuexec" -nologo -v q >&2 || exit 1
  # xunit v3 test projects insist on an app host; the steps run the .dll with the packed runtime.
  dotnet publish tests/GpuExec.Kernels.Tests/GpuExec.Kernels.Tests.csproj -c Release -r linux-x64 --self-contained false \
    -p:UseAppHost=true -o "$stage/kernel-tests" -nologo -v q >&2 || exit 1
  # Natives and files no step uses: RocksDB (no step keeps a store), code coverage and the test
  # platform's per-OS helpers (the tests run as a plain executable), XML docs, translations.
  rm -f "$stage"/gpuexec/librocksdb*.so
  rm -rf "$stage"/kernel-tests/{CodeCoverage,macos,ubuntu,alpine,arm64,x64}
  find "$stage" -name '*.xml' -delete
  find "$stage" -mindepth 3 -name '*.resources.dll' -delete
  find "$stage" -mindepth 2 -type d -empty -delete
  # The kernel tests look for shared/vectors above their own folder.
  mkdir -p "$stage/shared/vectors"
  cp "$vectors" "$stage/shared/vectors/"
  (cd "$stage" && tar -cf - .) | xz -9 -T0 > .device/app.tar.xz
  rm -rf "$stage"
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  fx=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -n 1)
  if [ ! -s .device/dotnet-rt.tar.xz ] || [ .device/dotnet-rt.tar.xz -ot "$dotnet_root/shared/Microsoft.NETCore.App/$fx" ]; then
    # The runtime the apps need, without the debugger and crash-dump support.
    (cd "$dotnet_root" && tar --exclude=createdump --exclude=libmscordbi.so --exclude=libmscordaccore.so \
       -cf - dotnet host "shared/Microsoft.NETCore.App/$fx") | xz -9 -T0 > .device/dotnet-rt.tar.xz
  fi
  rm -rf .device/run.sh .device/vectors  # what ../shared/device/pack.sh leaves; unused here
  bytes=$(du -cb .device/app.tar.xz .device/dotnet-rt.tar.xz | tail -n 1 | cut -f1)
  du -h .device/* >&2
  echo "run-all: .device holds $((bytes / 1024 / 1024)) MiB ($bytes bytes)" >&2
  [ "$bytes" -lt $((40 * 1024 * 1024)) ] || { echo "run-all: .device is over 40 MiB" >&2; exit 1; }
  exit 0
fi

# ---------------------------------------------------------------------------------------------
OUT=${OUT:-$root/gpu-out}
mkdir -p "$OUT"
for f in .device/app.tar.xz .device/dotnet-rt.tar.xz; do
  [ -s "$f" ] || { echo "run-all: no $f: pack first (bench/gpu/run-all.sh --pack) and carry .device" >&2; exit 2; }
done
budget=300
start=$SECONDS
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

hash=$(cat .device/app.tar.xz .device/dotnet-rt.tar.xz | sha256sum | cut -c1-16)
base=/tmp/gx-$hash
if [ ! -f "$base/.complete" ]; then
  rm -rf "$base.tmp" && mkdir -p "$base.tmp/rt" "$base.tmp/app"
  tar -xJf .device/dotnet-rt.tar.xz -C "$base.tmp/rt" && tar -xJf .device/app.tar.xz -C "$base.tmp/app" \
    || { echo "run-all: unpacking .device failed" >&2; exit 1; }
  touch "$base.tmp/.complete"
  rm -rf "$base" && mv "$base.tmp" "$base"
  # Older packs unpacked on this (warm) machine are never run again.
  for old in /tmp/gx-[0-9a-f]*; do
    [[ "$old" =~ ^/tmp/gx-[0-9a-f]{16}$ ]] && [ "$old" != "$base" ] && rm -rf "$old"
  done
fi
export DOTNET_ROOT=$base/rt DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_gcServer=0
dotnet=$DOTNET_ROOT/dotnet
vectors=$base/app/shared/vectors/ed25519-libsodium-verdicts.jsonl
work=/tmp/gx-work
rm -rf "$work" && mkdir -p "$work/log"
export CUDA_CACHE_PATH=/tmp/gx-cuda-cache
steps=$work/steps.jsonl
: > "$steps"

# The CUDA driver without its development symlink (libcuda.so.1 alone): the engine tries
# libcuda.so.1 itself; the symlink also serves the tools and anything else that asks for libcuda.so.
libcuda=none
for d in /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat /usr/lib/wsl/lib; do
  [ -d "$d" ] && [ -e "$d/libcuda.so.1" ] && export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
done
so=$(ldconfig -p 2>/dev/null | awk '$1 == "libcuda.so" {print $NF; exit}')
so1=$(ldconfig -p 2>/dev/null | awk '$1 == "libcuda.so.1" {print $NF; exit}')
for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }}; do
  [ -z "$so" ] && [ -e "$d/libcuda.so" ] && so=$d/libcuda.so
  [ -z "$so1" ] && [ -e "$d/libcuda.so.1" ] && so1=$d/libcuda.so.1
done
if [ -n "$so" ]; then
  libcuda="libcuda.so: $so"
elif [ -n "$so1" ]; then
  mkdir -p /tmp/gx-libcuda && ln -sf "$so1" /tmp/gx-libcuda/libcuda.so
  export LD_LIBRARY_PATH=/tmp/gx-libcuda${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  libcuda="libcuda.so.1 only ($so1): linked as /tmp/gx-libcuda/libcuda.so"
fi

# Sizes and devices: the GPU run, or the dry run (the CPU, small sizes, the same steps).
if [ "$mode" = gpu ]; then
  vdev=cuda bdev=cuda valid_n=262144 mixed_x=200 small_n=16 ncu_n=4096
  bench_txs=100000 bench_repeat=3 sweep_txs=20000 big_txs=1000000 big_expect=150
  kernel_classes=(-class GpuExec.Kernels.Tests.Ed25519KernelTestsCuda -class GpuExec.Kernels.Tests.HashKernelTestsCuda -class GpuExec.Kernels.Tests.DeviceTests)
else
  vdev=ilgpu-cpu bdev=cpu valid_n=48 mixed_x=0 small_n=4 ncu_n=16
  bench_txs=2000 bench_repeat=1 sweep_txs=1000 big_txs=5000 big_expect=15
  kernel_classes=(-class GpuExec.Kernels.Tests.HashKernelTestsIlgpuCpu -class GpuExec.Kernels.Tests.DeviceTests)
fi

gx=("$dotnet" "$base/app/gpuexec/gpuexec.dll")
kt=("$dotnet" "$base/app/kernel-tests/GpuExec.Kernels.Tests.dll")

# step NAME EXPECTED_S LIMIT_S COMMAND...: runs COMMAND (output to $work/log/NAME.log) under
# min(LIMIT, what is left of the budget), unless its expected time no longer fits.
step() {
  local name=$1 expect=$2 limit=$3; shift 3
  local used=$((SECONDS - start)) left
  left=$((budget - used))
  if [ $((used + expect)) -gt $budget ]; then
    echo "run-all: skip $name (expected ${expect}s, ${left}s of the ${budget}s budget left)" >&2
    printf '{"step":"%s","status":"skipped","reason":"budget: expected %ds, %ds left"}\n' "$name" "$expect" "$left" >> "$steps"
    return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "run-all: $name (limit ${limit}s, at ${used}s)" >&2
  local t0=$SECONDS rc=0
  timeout --kill-after=5 "$limit" "$@" > "$work/log/$name.log" 2>&1 || rc=$?
  local status=ok
  [ $rc -eq 0 ] || status=failed
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && status=timeout
  printf '{"step":"%s","status":"%s","rc":%d,"seconds":%d}\n' "$name" "$status" "$rc" $((SECONDS - t0)) >> "$steps"
  return $rc
}
skip() { printf '{"step":"%s","status":"skipped","reason":"%s"}\n' "$1" "$2" >> "$steps"; echo "run-all: skip $1: $2" >&2; }

tool() { # the first of PATH, /usr/local/cuda*/bin, /opt/nvidia/** that holds $1
  command -v "$1" 2>/dev/null && return 0
  ls -d /usr/local/cuda/bin/"$1" /usr/local/cuda-*/bin/"$1" /opt/nvidia/*/"$1" /opt/nvidia/*/*/"$1" 2>/dev/null | head -n 1
}

# Inputs: one signature, a few, N valid ones, the whole file repeated.
head -n 1 "$vectors" > "$work/one.jsonl"
grep '"valid": *true' "$vectors" > "$work/valid-once.jsonl"
head -n "$small_n" "$work/valid-once.jsonl" > "$work/small.jsonl"
awk -v n="$valid_n" '{ line[NR] = $0 } END { for (i = 0; i < n; i++) print line[i % NR + 1] }' "$work/valid-once.jsonl" > "$work/valid.jsonl"
awk -v n="$ncu_n" '{ line[NR] = $0 } END { for (i = 0; i < n; i++) print line[i % NR + 1] }' "$work/valid-once.jsonl" > "$work/ncu.jsonl"
if [ "$mixed_x" -gt 0 ]; then
  for _ in $(seq "$mixed_x"); do cat "$vectors"; done > "$work/mixed.jsonl"
else
  head -n 64 "$vectors" > "$work/mixed.jsonl"
fi

(nvidia-smi; nvidia-smi -q -d CLOCK,MEMORY,COMPUTE,PERFORMANCE) > "$work/log/nvidia-smi.log" 2>&1 || echo "no nvidia-smi here" > "$work/log/nvidia-smi.log"

step devices 5 30 "${gx[@]}" devices
step verify-cold 45 90 env CUDA_CACHE_DISABLE=1 "${gx[@]}" verify --device "$vdev" --input "$work/one.jsonl" --out "$work/one.out"
step kernel-tests 35 100 "${kt[@]}" -noColor -noLogo -ctrf "$work/kernel-tests.ctrf.json" "${kernel_classes[@]}"
step verify-warm 10 40 "${gx[@]}" verify --device "$vdev" --input "$work/one.jsonl" --out "$work/one.out"
step verify-valid 15 60 "${gx[@]}" verify --device "$vdev" --input "$work/valid.jsonl" --out "$work/valid.out"
step verify-mixed 15 60 "${gx[@]}" verify --device "$vdev" --input "$work/mixed.jsonl" --out "$work/mixed.out"
step verify-maxnreg 40 90 env GPUEXEC_PTX_MAXNREG=168 "${gx[@]}" verify --device "$vdev" --input "$work/valid.jsonl" --out "$work/valid-maxnreg.out"
if [ -s "$work/valid.out" ] && [ -s "$work/valid-maxnreg.out" ] && ! cmp -s "$work/valid.out" "$work/valid-maxnreg.out"; then
  echo "run-all: the register cap changed verdicts" >> "$work/log/verify-maxnreg.log"
  printf '{"step":"verify-maxnreg-verdicts","status":"failed","reason":"verdicts differ from verify-valid"}\n' >> "$steps"
fi
step bench-100k 40 120 "${gx[@]}" bench --txs "$bench_txs" --device "$bdev" --repeat "$bench_repeat" \
  --json "$work/bench-100k.json" --plot "$work/bench-100k-stages.png"

sanitizer=$(tool compute-sanitizer)
if [ -n "$sanitizer" ]; then
  step sanitizer 30 90 "$sanitizer" --tool memcheck --error-exitcode 9 --target-processes all \
    "${gx[@]}" verify --device "$vdev" --input "$work/small.jsonl" --out "$work/small.out"
else
  skip sanitizer "compute-sanitizer not found"
fi
ncu=$(tool ncu)
if [ -n "$ncu" ]; then
  step ncu 30 90 "$ncu" --target-processes all --kernel-name regex:Verify --launch-count 1 \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
    --csv --log-file "$work/ncu.csv" "${gx[@]}" verify --device "$vdev" --input "$work/ncu.jsonl" --out "$work/ncu.out"
else
  skip ncu "ncu (Nsight Compute) not found"
fi
step sweep-skew 30 90 "${gx[@]}" bench --sweep skew --txs "$sweep_txs" --device "$bdev" --repeat 1 \
  --json "$work/sweep-skew.json" --plot "$work/sweep-skew.png"
step bench-1m "$big_expect" 200 "${gx[@]}" bench --txs "$big_txs" --accounts "$big_txs" --device "$bdev" --repeat 1 --json "$work/bench-1m.json"

# ---------------------------------------------------------------------------------------------
# The summary: every figure as JSON, written with the shell alone (a GPU machine may lack Python).
json_string() { # stdin -> one JSON string
  awk 'BEGIN { printf "\"" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, ""); gsub(/[\001-\037]/, "");
       if (NR > 1) printf "\\n"; printf "%s", $0 } END { printf "\"" }'
}
json_lines() { # stdin -> a JSON array of its non-empty lines
  awk 'BEGIN { printf "[" } NF { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, " "); gsub(/\r/, ""); gsub(/[\001-\037]/, "");
       printf "%s\"%s\"", (n++ ? ", " : ""), $0 } END { printf "]" }'
}
json_file() { # a file that holds JSON, or null
  if [ -s "$1" ] && head -c 1 "$1" | grep -q '[[{]'; then cat "$1"; else printf 'null'; fi
}
num() { [ -n "$1" ] && printf '%s' "$1" || printf 'null'; }
# gpuexec verify's summary line: "verified N signatures (V valid, I invalid) on D in X ms, R per second;
# set-up not counted: device and kernels S s, buffers B ms"
verify_json() {
  local line
  line=$(grep -aoE 'verified [0-9]+ signatures \([0-9]+ valid, [0-9]+ invalid\) on [a-z-]+ in [0-9.]+ ms, [0-9]+ per second; set-up not counted: device and kernels [0-9.]+ s, buffers [0-9.]+ ms' "$work/log/$1.log" 2>/dev/null | head -n 1)
  if [ -z "$line" ]; then printf 'null'; return; fi
  echo "$line" | awk '{ gsub(/[(),;]/, " "); print }' | awk '{
    printf "{\"signatures\": %s, \"valid\": %s, \"invalid\": %s, \"device\": \"%s\", \"ms\": %s, \"per_second\": %s, \"setup_device_and_kernels_s\": %s, \"setup_buffers_ms\": %s}",
      $2, $4, $6, $9, $11, $13, $22, $25 }'
}
per_second() { verify_json "$1" | grep -oE '"per_second": [0-9]+' | grep -oE '[0-9]+$'; }

rate=$(per_second verify-valid)
capped=$(per_second verify-maxnreg)
choice=null
# Chosen by measurement on a CUDA device only: elsewhere the cap changes nothing.
if [ "$vdev" = cuda ] && [ -n "$rate" ] && [ -n "$capped" ] && [ "$rate" -gt 0 ]; then
  choice=$(awk -v a="$rate" -v b="$capped" 'BEGIN { d = 100 * (b - a) / a;
    printf "\"%s (GPUEXEC_PTX_MAXNREG=168 %+.1f%% signatures per second)\"", (d > 1 ? "cap 168" : "no cap"), d }')
fi

ctrf_summary=$(grep -aoE '"summary" *: *\{[^}]*\}' "$work/kernel-tests.ctrf.json" 2>/dev/null | head -n 1 | sed -E 's/^"summary" *: *//')
failed_tests=$(grep -aoE '"name" *: *"[^"]*" *, *"status" *: *"failed"' "$work/kernel-tests.ctrf.json" 2>/dev/null | sed -E 's/^"name" *: *"([^"]*)".*/\1/' | json_lines)
[ -n "$failed_tests" ] || failed_tests='[]'
sanitizer_errors=$(grep -aoE 'ERROR SUMMARY: [0-9]+ error' "$work/log/sanitizer.log" 2>/dev/null | grep -oE '[0-9]+' | head -n 1)
ncu_rows='[]'
if [ -s "$work/ncu.csv" ]; then
  # CSV rows: ..., "Section Name", "Metric Name", "Metric Unit", "Metric Value"; the last four columns.
  ncu_rows=$(grep -a '^"' "$work/ncu.csv" | tail -n +2 | awk -F'","' '{ n = NF; v = $n; gsub(/"/, "", v);
      printf "%s[\"%s\", \"%s\", \"%s\", \"%s\"]", (k++ ? ", " : ""), $(n-3), $(n-2), $(n-1), v }' | sed 's/^/[/; s/$/]/')
  [ -n "$ncu_rows" ] || ncu_rows='[]'
fi
load() { verify_json "$1" | grep -oE '"setup_device_and_kernels_s": [0-9.]+' | grep -oE '[0-9.]+$'; }

{
  printf '{\n'
  printf '  "note": "gpuexec on this machine: %s run, %s; times in the units their names say; verify rates exclude set-up",\n' "$mode" "$started"
  printf '  "mode": "%s",\n  "pack": "%s",\n  "budget_s": %d,\n' "$mode" "$hash" "$budget"
  printf '  "cpu": %s,\n' "$(lscpu 2>/dev/null | awk -F: '/Model name/ { sub(/^ +/, "", $2); print $2; exit }' | json_string)"
  printf '  "cores": %s,\n' "$(nproc)"
  printf '  "gpu": %s,\n' "$(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,pcie.link.gen.max,pcie.link.width.max --format=csv,noheader 2>/dev/null | json_lines)"
  printf '  "libcuda": %s,\n' "$(printf '%s' "$libcuda" | json_string)"
  printf '  "devices": %s,\n' "$(json_lines < "$work/log/devices.log" 2>/dev/null || printf '[]')"
  printf '  "kernel_tests": {"summary": %s, "failed": %s},\n' "${ctrf_summary:-null}" "$failed_tests"
  printf '  "kernel_load_s": {"cold_jit": %s, "warm_cache": %s, "register_cap_168": %s},\n' "$(num "$(load verify-cold)")" "$(num "$(load verify-warm)")" "$(num "$(load verify-maxnreg)")"
  printf '  "verify_valid": %s,\n' "$(verify_json verify-valid)"
  printf '  "verify_mixed": %s,\n' "$(verify_json verify-mixed)"
  printf '  "verify_register_cap_168": %s,\n' "$(verify_json verify-maxnreg)"
  printf '  "register_cap_choice": %s,\n' "$choice"
  printf '  "compute_sanitizer": {"tool": %s, "errors": %s},\n' "$(printf '%s' "${sanitizer:-}" | json_string)" "$(num "$sanitizer_errors")"
  printf '  "ncu": {"tool": %s, "metrics": %s},\n' "$(printf '%s' "${ncu:-}" | json_string)" "$ncu_rows"
  printf '  "bench_100k": %s,\n' "$(json_file "$work/bench-100k.json")"
  printf '  "sweep_skew": %s,\n' "$(json_file "$work/sweep-skew.json")"
  printf '  "bench_1m": %s,\n' "$(json_file "$work/bench-1m.json")"
  printf '  "steps": [\n'
  sed 's/^/    /; $!s/$/,/' "$steps"
  printf '  ],\n  "elapsed_s": %d\n}\n' $((SECONDS - start))
} > "$OUT/summary.json"

# One log of every step, then the plots: four files in all (the limit is eight of 16 MiB).
{
  for name in nvidia-smi $(sed -E 's/^\{"step":"([^"]*)".*/\1/' "$steps"); do
    f=$work/log/$name.log
    [ -f "$f" ] || continue
    printf '===== %s\n' "$name"
    cat "$f"
  done
  [ -s "$work/ncu.csv" ] && { printf '===== ncu.csv\n'; cat "$work/ncu.csv"; }
} > "$work/run.log"
if [ "$(stat -c %s "$work/run.log")" -gt $((15 * 1024 * 1024)) ]; then
  { head -c $((7 * 1024 * 1024)) "$work/run.log"; printf '\n===== (cut to 15 MiB)\n'; tail -c $((7 * 1024 * 1024)) "$work/run.log"; } > "$OUT/run.log"
else
  cp "$work/run.log" "$OUT/run.log"
fi
for p in bench-100k-stages.png sweep-skew.png; do
  [ -s "$work/$p" ] && cp "$work/$p" "$OUT/$p"
done
cat "$OUT/summary.json" | head -c 4000
echo
echo "run-all: $(ls "$OUT" | wc -l) files in $OUT after $((SECONDS - start)) s" >&2
