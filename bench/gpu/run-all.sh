#!/usr/bin/env bash
# Everything a GPU machine can tell us, in one call of under 8 minutes, written under $OUT.
#
# On this (build) machine, from the repository root, first pack what the GPU machine needs
# (the .device pack of ../shared/device/pack.sh, plus the signature vectors the kernel tests read):
#   bench/gpu/run-all.sh --pack            # the CLI and the kernel tests (check `du -sh .device`: carry takes 64 MiB)
#   bench/gpu/run-all.sh --pack cli        # only the CLI;   --pack tests: only the kernel tests
# On the GPU machine (carry .device), from the repository root:
#   OUT=/some/dir bash bench/gpu/run-all.sh
# Steps whose program is not in the pack are skipped and say so; each step has its own time limit
# and a step that would overrun the 8-minute budget is skipped. What it writes:
#   nvidia-smi.txt, devices.txt                     the GPU and what gpuexec sees
#   kernel-tests.ctrf.json, kernel-tests.log         every kernel test (libsodium verdicts) on CUDA and the CPU emulator
#   verify-*.log                                     gpuexec verify: cold (CUDA_CACHE_DISABLE, the driver JITs the PTX),
#                                                    warm (JIT cache filled), and a large input for throughput
#   bench-100k.json, bench-1m.json                   gpuexec bench on CUDA: 100k and 1M transactions
#   chain.json                                       4 blocks of 100k, one at a time against streamed
#   sweep-skew.json/.png, contention.json/.png       the skew sweep and the contention sweep on 16 threads
#   summary.json                                     step status and times, kernel load (JIT) times, verify throughput
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [ "${1:-}" = "--pack" ]; then
  what=${2:-all}
  shared=${GPUEXEC_SHARED:-$root/../shared}
  projects=()
  case "$what" in
    all) projects=(src/GpuExec.Cli/GpuExec.Cli.csproj tests/GpuExec.Kernels.Tests/GpuExec.Kernels.Tests.csproj) ;;
    cli) projects=(src/GpuExec.Cli/GpuExec.Cli.csproj) ;;
    tests) projects=(tests/GpuExec.Kernels.Tests/GpuExec.Kernels.Tests.csproj) ;;
    *) echo "run-all: --pack all|cli|tests" >&2; exit 2 ;;
  esac
  "$shared/device/pack.sh" "${projects[@]}"
  mkdir -p .device/vectors
  cp "$shared/vectors/ed25519-libsodium-verdicts.jsonl" .device/vectors/
  du -sh .device >&2
  exit 0
fi

OUT=${OUT:-$root/gpu-out}
mkdir -p "$OUT"
[ -f .device/run.sh ] || { echo "run-all: no .device/run.sh: pack first (bench/gpu/run-all.sh --pack) and carry .device" >&2; exit 2; }
budget=470   # seconds: under 8 minutes with the unpacking and the write-up
start=$SECONDS
steps="$OUT/steps.jsonl"
: > "$steps"

# Unpacks the runtime and the apps (run.sh does so on its first call only), then lets the kernel
# tests find the vectors: they look for shared/vectors above their own folder.
bash .device/run.sh gpuexec --help > /dev/null 2>&1 || bash .device/run.sh GpuExec.Kernels.Tests -? > /dev/null 2>&1 || true
if [ -d /tmp/gxapp ] && [ -f .device/vectors/ed25519-libsodium-verdicts.jsonl ]; then
  mkdir -p /tmp/gxapp/shared/vectors
  cp .device/vectors/ed25519-libsodium-verdicts.jsonl /tmp/gxapp/shared/vectors/
fi
have() { find /tmp/gxapp -maxdepth 2 -type f -name "$1" -perm -u+x 2>/dev/null | grep -q .; }

# step NAME LIMIT_S COMMAND...: runs it with a time limit unless the budget is spent; logs status and time.
step() {
  local name=$1 limit=$2; shift 2
  local used=$((SECONDS - start))
  if [ $((used + limit)) -gt $budget ]; then
    echo "run-all: skip $name (would pass the ${budget}s budget at ${used}s)" >&2
    printf '{"step":"%s","status":"skipped","reason":"budget"}\n' "$name" >> "$steps"
    return 0
  fi
  echo "run-all: $name (limit ${limit}s, at ${used}s)" >&2
  local t0=$SECONDS rc=0
  timeout --kill-after=10 "$limit" "$@" || rc=$?
  local status=ok
  [ $rc -eq 0 ] || status=failed
  [ $rc -eq 124 ] && status=timeout
  printf '{"step":"%s","status":"%s","rc":%d,"seconds":%d}\n' "$name" "$status" "$rc" $((SECONDS - t0)) >> "$steps"
  return 0
}

skip() { printf '{"step":"%s","status":"skipped","reason":"%s"}\n' "$1" "$2" >> "$steps"; echo "run-all: skip $1: $2" >&2; }

(nvidia-smi; nvidia-smi -q -d CLOCK,MEMORY,COMPUTE) > "$OUT/nvidia-smi.txt" 2>&1 || echo "no nvidia-smi" > "$OUT/nvidia-smi.txt"

if have gpuexec; then
  step devices 30 bash -c 'bash .device/run.sh gpuexec devices > "$0/devices.txt" 2>&1' "$OUT"
else
  skip devices "gpuexec not packed"
fi

if have GpuExec.Kernels.Tests; then
  # Every kernel test: the CUDA classes run on the GPU, the emulator ones alongside (about 40 s).
  step kernel-tests 180 bash -c 'bash .device/run.sh GpuExec.Kernels.Tests -noColor -ctrf "$0/kernel-tests.ctrf.json" > "$0/kernel-tests.log" 2>&1' "$OUT"
else
  skip kernel-tests "GpuExec.Kernels.Tests not packed"
fi

vectors=.device/vectors/ed25519-libsodium-verdicts.jsonl
if have gpuexec && [ -f "$vectors" ]; then
  head -n 1 "$vectors" > "$OUT/verify-one.jsonl"
  # About 250k signatures (the vector file, valid and invalid, 200 times) for throughput.
  for _ in $(seq 200); do cat "$vectors"; done > "$OUT/verify-big.jsonl"
  export CUDA_CACHE_PATH="$OUT/cuda-cache"
  rm -rf "$CUDA_CACHE_PATH"
  step verify-cold 120 bash -c 'CUDA_CACHE_DISABLE=1 bash .device/run.sh gpuexec verify --device cuda --input "$0/verify-one.jsonl" --out "$0/verify-one.out" > "$0/verify-cold.log" 2>&1' "$OUT"
  step verify-warm-fill 120 bash -c 'bash .device/run.sh gpuexec verify --device cuda --input "$0/verify-one.jsonl" --out "$0/verify-one.out" > "$0/verify-fill.log" 2>&1' "$OUT"
  step verify-warm 60 bash -c 'bash .device/run.sh gpuexec verify --device cuda --input "$0/verify-one.jsonl" --out "$0/verify-one.out" > "$0/verify-warm.log" 2>&1' "$OUT"
  step verify-big 120 bash -c 'bash .device/run.sh gpuexec verify --device cuda --input "$0/verify-big.jsonl" --out "$0/verify-big.out" > "$0/verify-big.log" 2>&1' "$OUT"
  rm -f "$OUT/verify-big.jsonl" "$OUT/verify-big.out"
else
  skip verify "gpuexec or the vectors not packed"
fi

if have gpuexec; then
  step bench-100k 90 bash .device/run.sh gpuexec bench --txs 100000 --device cuda --repeat 3 --json "$OUT/bench-100k.json"
  step bench-1m 150 bash .device/run.sh gpuexec bench --txs 1000000 --accounts 1000000 --device cuda --repeat 1 --json "$OUT/bench-1m.json"
  step chain 90 bash .device/run.sh gpuexec bench --blocks 4 --txs 100000 --device cuda --repeat 1 --json "$OUT/chain.json"
  step contention 120 bash .device/run.sh gpuexec bench --sweep contention --device cuda --threads 16 --repeat 1 --json "$OUT/contention.json" --plot "$OUT/contention.png"
  step sweep-skew 90 bash .device/run.sh gpuexec bench --sweep skew --txs 100000 --device cuda --repeat 1 --json "$OUT/sweep-skew.json" --plot "$OUT/sweep-skew.png"
else
  skip bench "gpuexec not packed"
fi

# The figures the logs hold, as JSON (no Python needed on the GPU machine).
verified() { grep -aoE 'verified [0-9]+ signatures on [a-z-]+ in [0-9.]+ ms' "$OUT/$1" 2>/dev/null | head -n 1; }
jnum() { [ -n "$1" ] && echo "$1" || echo null; }
big=$(verified verify-big.log)
big_n=$(echo "$big" | awk '{print $2}')
big_ms=$(echo "$big" | awk '{print $(NF-1)}')
rate=null
if [ -n "$big_n" ] && [ -n "$big_ms" ]; then rate=$(awk -v n="$big_n" -v ms="$big_ms" 'BEGIN { if (ms > 0) printf "%.0f", n / (ms / 1000) }'); fi
{
  printf '{\n  "note": "measured on this GPU machine; times in seconds or milliseconds as named",\n'
  printf '  "gpu": "%s",\n' "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1)"
  printf '  "kernel_load_s": {"cold_jit": %s, "cache_fill": %s, "warm": %s},\n' \
    "$(jnum "$(grep -aoE 'in [0-9.]+ s \(ILGPU' "$OUT/verify-cold.log" 2>/dev/null | grep -aoE '[0-9.]+' | head -n 1)")" \
    "$(jnum "$(grep -aoE 'in [0-9.]+ s \(ILGPU' "$OUT/verify-fill.log" 2>/dev/null | grep -aoE '[0-9.]+' | head -n 1)")" \
    "$(jnum "$(grep -aoE 'in [0-9.]+ s \(ILGPU' "$OUT/verify-warm.log" 2>/dev/null | grep -aoE '[0-9.]+' | head -n 1)")"
  printf '  "verify_big": {"signatures": %s, "ms_after_load": %s, "per_second": %s},\n' "$(jnum "$big_n")" "$(jnum "$big_ms")" "$rate"
  printf '  "steps": [\n'
  sed 's/^/    /; $!s/$/,/' "$steps"
  printf '  ],\n  "elapsed_s": %d\n}\n' $((SECONDS - start))
} > "$OUT/summary.json"
cat "$OUT/summary.json"
