#!/bin/sh
# GPU tests of the library: real driver, real CUDA, real PyTorch. Skips with its reason, exit 0,
# where any of them is missing (CI has no GPU). Usage: sh test/gpu/run_gpu_tests.sh <target dir>
set -u
TARGET=${1:-target}
LIB=$(cd "$TARGET" && pwd)/libtessera-cuda.so
HERE=$(cd "$(dirname "$0")" && pwd)

skip() {
    echo "SKIP gpu tests: $1"
    exit 0
}
command -v nvidia-smi >/dev/null 2>&1 || skip "no NVIDIA driver here (nvidia-smi not found)"
nvidia-smi -L >/dev/null 2>&1 || skip "nvidia-smi finds no GPU"
command -v python3 >/dev/null 2>&1 || skip "no python3"
python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null \
    || skip "PyTorch with CUDA is not installed (pip install torch)"

# NVML maps a device to its limit by UUID, as the device plugin lists them: NVML's device 0 (the
# one torch_limits.py asks pynvml about) is the container's first. CUDA_DEVICE_ORDER makes CUDA's
# device 0 the same GPU on a host with several.
visible=$(nvidia-smi --query-gpu=uuid --format=csv,noheader -i 0)

failures=0
for backend in native cudaMallocAsync; do
    usage=$(mktemp -d)
    if env LD_PRELOAD="$LIB" TESSERA_GPU_MEMORY_LIMITS=4294967296 TESSERA_USAGE_DIR="$usage" \
        NVIDIA_VISIBLE_DEVICES="$visible" CUDA_DEVICE_ORDER=PCI_BUS_ID PYTORCH_CUDA_ALLOC_CONF="backend:$backend" \
        python3 "$HERE/torch_limits.py"; then
        echo "PASS gpu-torch-$backend"
    else
        echo "FAIL gpu-torch-$backend"
        failures=$((failures + 1))
    fi
    rm -rf "$usage"
done
# Compute shares: tenants of GPU 0 pacing their kernel launches (about 2 minutes).
if python3 "$HERE/compute_shares.py" "$LIB"; then
    echo "PASS gpu-compute-shares"
else
    echo "FAIL gpu-compute-shares"
    failures=$((failures + 1))
fi
# GPU memory swap: a 10 GiB working set out to host memory and back, timed, checksummed.
if python3 "$HERE/swap.py" "$LIB"; then
    echo "PASS gpu-swap"
else
    echo "FAIL gpu-swap"
    failures=$((failures + 1))
fi
[ "$failures" -eq 0 ]
