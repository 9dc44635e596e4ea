#!/usr/bin/env bash
# gpu-check.sh — the ILGPU backend of objective:shera on a machine with an NVIDIA GPU and no .NET.
#
#   tools/gpu-check.sh --pack [ARCHIVE]        on a machine with the .NET SDK: self-contained linux-x64 publish of the
#                                              host and the shipped plugins, compressed (default tools/gpu-check.tar.xz)
#   tools/gpu-check.sh [--archive ARCHIVE | --dluxshera EXE] [--accelerator cuda|cpu] [--size test|production]
#                                              unpack (or use EXE), then (1) the equivalence check: loss and gradient of
#                                              the GPU backend against the CPU backend at test size, two- and three-plane,
#                                              batch of 2, failing above 1e-10 relative; (2) the benchmark: evaluations/s
#                                              of loss+gradient, single and batched (B = 1, 8, 64), against the CPU
#                                              backend of the same machine (production size unless --size test).
#
# --accelerator cpu runs the same kernels on ILGPU's CPU emulator (backend ilgpu-cpu): slow, for checking the script
# on a machine without a GPU (CI does this with small optics, B = 1 and 2). Exit status: 0 all checks passed, 1 a check failed,
# 2 bad arguments.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
archive="$here/gpu-check.tar.xz"
exe=""
accelerator="cuda"
size="production"
pack=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --pack) pack=1; if [[ $# -gt 1 && "$2" != --* ]]; then archive="$2"; shift; fi ;;
    --archive) archive="$2"; shift ;;
    --dluxshera) exe="$2"; shift ;;
    --accelerator) accelerator="$2"; shift ;;
    --size) size="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "gpu-check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ -n "$pack" ]]; then
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' EXIT
  dotnet build "$repo/DluxShera.sln" -c Release -nologo -v q
  dotnet publish "$repo/host/DluxShera.Host/DluxShera.Host.csproj" -c Release -r linux-x64 --self-contained -nologo -v q -o "$stage/dluxshera/bin"
  mkdir -p "$stage/dluxshera/build"
  cp -r "$repo/build/plugins" "$stage/dluxshera/build/plugins"
  cp "$repo/plugins.json" "$stage/dluxshera/plugins.json"
  tar -C "$stage" -cJf "$archive" dluxshera
  echo "packed $(du -m "$archive" | cut -f1) MiB into $archive (the carry limit is 64 MiB)"
  exit 0
fi

case "$accelerator" in
  cuda) backend="cuda" ;;
  cpu) backend="ilgpu-cpu" ;;
  *) echo "gpu-check.sh: --accelerator must be cuda or cpu, not '$accelerator'" >&2; exit 2 ;;
esac
case "$size" in
  test) presets="testbed-2p-test,testbed-3p-test"; batches="1,8,64" ;;
  production) presets="testbed-2p-production,testbed-3p-production"; batches="1,8,64" ;;
  *) echo "gpu-check.sh: --size must be test or production, not '$size'" >&2; exit 2 ;;
esac
equivalence_presets="testbed-2p-test,testbed-3p-test"
options='{}'
if [[ "$accelerator" == cpu ]]; then
  # ILGPU's CPU emulator is slow: small optics (pupil 16, detector 8, 2 wavelengths), one point per batch.
  presets="testbed-2p-test"; batches="1"
  options='{"optics": {"pupil_npix": 16, "psf_npix": 8, "n_lambda": 2}}'
fi

if [[ -z "$exe" ]]; then
  [[ -f "$archive" ]] || { echo "gpu-check.sh: $archive not found; build it with tools/gpu-check.sh --pack" >&2; exit 2; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  tar -C "$work" -xJf "$archive"
  exe="$work/dluxshera/bin/dluxshera"
  cd "$work/dluxshera"
fi
[[ -x "$exe" ]] || { echo "gpu-check.sh: $exe is not an executable" >&2; exit 2; }

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "(no nvidia-smi)"
echo "$(nproc) cores"

echo "== equivalence: backend $backend against cpu, loss and gradient, batch of 2"
out="$("$exe" bench shera --backend "$backend" --presets "$equivalence_presets" --batches 2 --options "$options" 2>&1)" || { echo "$out"; exit 1; }
echo "$out" | sed -n '/^Batched/,$p'
# the last column holds "loss diff, gradient diff"; both must be ≤ 1e-10
if ! echo "$out" | sed -n '/^Batched/,$p' | awk -F'|' '/^\| [a-z]/ && NF == 9 { split($8, d, ","); if (d[1] + 0 > 1e-10 || d[2] + 0 > 1e-10) bad = 1; n++ } END { exit (n > 0 && !bad) ? 0 : 1 }'; then
  echo "gpu-check: FAILED — the $backend backend differs from the CPU backend by more than 1e-10 (or printed no rows)" >&2
  exit 1
fi
echo "equivalence: ok (≤ 1e-10 relative)"

echo "== benchmark: $presets, B = $batches"
"$exe" bench shera --backend "$backend" --presets "$presets" --batches "$batches" --options "$options"
echo "gpu-check: done"
