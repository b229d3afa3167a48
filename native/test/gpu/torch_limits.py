"""The library under real CUDA and PyTorch: what a 4 GiB container sees and may do.

Run by run_gpu_tests.sh with libtessera-cuda.so preloaded and a 4 GiB limit on device 0. Exits
non-zero naming the first check that failed. One process per allocator back end, because PyTorch
picks its allocator once per process (PYTORCH_CUDA_ALLOC_CONF=backend:cudaMallocAsync selects the
stream-ordered pool, which reaches the driver through cuMemAllocFromPoolAsync and friends).
"""
import os
import struct
import sys

import torch

GIB = 1 << 30
MIB = 1 << 20


def check(condition, what):
    if not condition:
        print(f"FAIL {what}", flush=True)
        sys.exit(1)
    print(f"ok   {what}", flush=True)


def counted_bytes():
    """used_bytes of device 0's usage file (offset 32 of the header, native/src/tessera_usage.h)."""
    with open(os.path.join(os.environ["TESSERA_USAGE_DIR"], "gpu-0.usage"), "rb") as f:
        header = f.read(64)
    return struct.unpack_from("<Q", header, 32)[0]


def main():
    limit = int(os.environ["TESSERA_GPU_MEMORY_LIMITS"].split(",")[0])
    backend = os.environ.get("PYTORCH_CUDA_ALLOC_CONF", "backend:native")
    print(f"# {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}, {backend}")

    free, total = torch.cuda.mem_get_info(0)
    check(total == limit, f"mem_get_info total is the limit ({total} == {limit})")
    check(free <= total, f"free ({free}) is at most the total")
    check(torch.cuda.get_device_properties(0).total_memory == limit,
          "device properties report the limit as the total memory")
    try:
        import pynvml
    except ImportError:
        print("skip NVML reports the limit as the total: pynvml is not installed "
              "(pip install nvidia-ml-py)", flush=True)
    else:
        pynvml.nvmlInit()
        try:
            nvml_total = pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(0)).total
        finally:
            pynvml.nvmlShutdown()
        check(nvml_total == limit, f"NVML reports the limit as the total ({nvml_total} == {limit})")

    big = torch.empty(int(3.5 * GIB), dtype=torch.uint8, device="cuda")
    big.fill_(1)
    torch.cuda.synchronize()
    counted = counted_bytes()
    check(counted >= int(3.5 * GIB), f"3.5 GiB fit and are counted ({counted // MIB} MiB)")
    free, total = torch.cuda.mem_get_info(0)
    check(total - free >= int(3.5 * GIB), f"mem_get_info agrees: {(total - free) // MIB} MiB used")

    try:
        more = torch.empty(GIB, dtype=torch.uint8, device="cuda")
        more.fill_(1)
        torch.cuda.synchronize()
        check(False, "1 GiB more is refused")
    except torch.cuda.OutOfMemoryError as e:
        check(True, "1 GiB more is refused with PyTorch's own OutOfMemoryError ("
              + str(e).splitlines()[0][:80] + "...)")

    del big
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    after = counted_bytes()
    check(after < 64 * MIB, f"frees are counted: {after // MIB} MiB left after empty_cache")


if __name__ == "__main__":
    main()
