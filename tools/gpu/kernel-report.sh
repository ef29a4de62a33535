#!/usr/bin/env bash
# Kernel cost report without a GPU: compiles every kernel entry point with ILGPU's PTX (sm_90) and
# OpenCL backends, assembles the PTX with NVIDIA's ptxas, and estimates the SASS cost of one Ed25519
# verification (see kernels/GpuExec.Kernels/Verify/README.md). Estimates of cost, never times.
#   tools/gpu/kernel-report.sh --json FILE [--work DIR] [--count N] [--vectors FILE.jsonl] [--maxnreg N]
# Per PTX kernel: registers, spills, warps per SM by registers, SASS; a kernel above --maxnreg
# (default 168) is assembled again with .maxnreg N, as GPUEXEC_PTX_MAXNREG=N loads it on CUDA.
# ptxas comes from ../shared/gpu/fetch-ptxas.sh (or PTXAS_DIR, the folder holding ptxas and
# cuobjdump); without it only the ILGPU compilation is reported.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${GPUEXEC_SHARED:-$root/../shared}
args=("$@")
if [ -z "${PTXAS_DIR:-}" ] && [ -x "$shared/gpu/fetch-ptxas.sh" ]; then
  PTXAS_DIR=$("$shared/gpu/fetch-ptxas.sh" | tail -n 1) || PTXAS_DIR=
fi
if [ -n "${PTXAS_DIR:-}" ]; then
  args+=(--ptxas-dir "$PTXAS_DIR")
else
  echo "kernel-report: no ptxas (set PTXAS_DIR or provide ../shared/gpu/fetch-ptxas.sh): ILGPU compilation only" >&2
fi
vectors=$shared/vectors/ed25519-libsodium-verdicts.jsonl
if [ -f "$vectors" ] && [[ " $* " != *" --vectors "* ]]; then
  args+=(--vectors "$vectors")
fi
dotnet build "$root/tools/GpuExec.KernelReport" -c Release -nologo -v q >&2
exec dotnet "$root/tools/GpuExec.KernelReport/bin/Release/net10.0/GpuExec.KernelReport.dll" "${args[@]}"
