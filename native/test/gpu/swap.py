"""GPU memory swap on a real GPU: swap-out and swap-in time per GiB for a 10 GiB working set.

Run by run_gpu_tests.sh (it passes the library's path). A child process, with the library
preloaded and TESSERA_GPU_SWAP=1, allocates ten 1 GiB PyTorch tensors (each a cudaMalloc, so a
cuMemAlloc_v2 the library serves from virtual memory), fills them with random bytes and
checksums them on the GPU. This script plays the node agent: it writes swap.ctl commands and
watches the usage file. Each round:

- swap-out: "<n> out" is written; the time is the library's own figure (its info line
  "swapped out N bytes in M ms") and, for comparison, the time until the usage file shows the
  process swapped out (that one includes up to 50 ms of the library's polling);
- swap-in: the child's next CUDA call (torch.cuda.synchronize()) brings everything back; the
  time is what that call took, as the application sees it, and the library's own figure.

Checks: the usage file shows the device bytes gone (used < 256 MiB) and >= 10 GiB swapped while
out, and everything back after; every tensor keeps its address (data_ptr) and its checksum.
Timings are printed, not asserted (they depend on the PCIe or NVLink-C2C link and the host).
For reference the child also times a plain 1 GiB copy to and from pinned host memory.

Exits non-zero naming the first check that failed; SKIP (exit 0) where the GPU has less than
14 GiB. Needs about 11 GiB of host memory for the pinned copies.
Usage: python3 swap.py <libtessera-cuda.so> (or as the workload: child)
"""
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

GIB = 1 << 30
MIB = 1 << 20
TENSORS = 10
ROUNDS = 3
LIMIT = 12 * GIB
HOST_BUDGET = 12 * GIB
SLOT_FLAG_SWAPPED = 0x2


def child():
    """The workload: commands on stdin, answers on stdout (one line each)."""
    import torch

    dev = torch.device("cuda", 0)
    tensors = [torch.empty(GIB, dtype=torch.uint8, device=dev) for _ in range(TENSORS)]
    for t in tensors:
        t.random_()
    step = 1 << 24  # int64 elements per chunk: 128 MiB
    weights = torch.arange(step, dtype=torch.int64, device=dev) * 2654435761 + 1

    def checksums():
        sums = []
        for t in tensors:
            v = t.view(torch.int64)
            total = torch.zeros((), dtype=torch.int64, device=dev)
            for i in range(0, v.numel(), step):
                c = v[i:i + step]
                total += (c * weights[:c.numel()]).sum()  # wraps mod 2^64: order-free
            sums.append(int(total))
        return sums

    def reply(*words):
        print(" ".join(str(w) for w in words), flush=True)

    # Plain copies to and from pinned host memory, for comparison with the swap figures.
    pinned = torch.empty(GIB, dtype=torch.uint8, pin_memory=True)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    pinned.copy_(tensors[0])
    torch.cuda.synchronize()
    d2h = time.perf_counter() - t0
    t0 = time.perf_counter()
    tensors[0].copy_(pinned)
    torch.cuda.synchronize()
    h2d = time.perf_counter() - t0
    del pinned
    reply("copy", d2h, h2d)
    reply("sums", *checksums())
    reply("ptrs", *(t.data_ptr() for t in tensors))
    torch.cuda.synchronize()
    reply("ready", os.getpid())
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "touch":  # the first CUDA call after a swap-out: it swaps in
            t0 = time.perf_counter()
            torch.cuda.synchronize()
            reply("touched", time.perf_counter() - t0)
        elif cmd == "sums":
            reply("sums", *checksums())
            reply("ptrs", *(t.data_ptr() for t in tensors))
            torch.cuda.synchronize()
            reply("idle")
        elif cmd == "exit":
            return


def fail(what):
    print(f"FAIL {what}", flush=True)
    sys.exit(1)


def check(condition, what):
    if not condition:
        fail(what)
    print(f"ok   {what}", flush=True)


class Agent:
    """The node agent's side: swap.ctl commands, the usage file of device 0."""

    def __init__(self, usage_dir):
        self.dir = usage_dir
        self.seq = 0

    def command(self, cmd):
        self.seq += 1
        tmp = os.path.join(self.dir, "swap.ctl.tmp")
        with open(tmp, "w") as f:
            f.write(f"{self.seq} {cmd}\n")
        os.rename(tmp, os.path.join(self.dir, "swap.ctl"))

    def usage(self, pid):
        """(used_bytes of the container, swapped_bytes and flags of pid's slot); layout:
        native/src/tessera_usage.h (header 64 bytes, 256 slots of 64)."""
        with open(os.path.join(self.dir, "gpu-0.usage"), "rb") as f:
            data = f.read()
        used = struct.unpack_from("<Q", data, 32)[0]
        for i in range(256):
            at = 64 + 64 * i
            if struct.unpack_from("<i", data, at)[0] == pid:
                flags = struct.unpack_from("<I", data, at + 4)[0]
                return used, struct.unpack_from("<Q", data, at + 56)[0], flags
        return used, 0, 0


def main(lib):
    import torch  # only to size the GPU; the workload runs in the child

    if not torch.cuda.is_available():
        print("SKIP swap: no CUDA device")
        return
    total = torch.cuda.get_device_properties(0).total_memory
    if total < 14 * GIB:
        print(f"SKIP swap: GPU 0 has {total // GIB} GiB, the test needs 14")
        return
    usage_dir = tempfile.mkdtemp()
    env = dict(os.environ, LD_PRELOAD=lib, TESSERA_GPU_MEMORY_LIMITS=str(LIMIT),
               TESSERA_USAGE_DIR=usage_dir, TESSERA_GPU_SWAP="1",
               TESSERA_GPU_SWAP_HOST_BYTES=str(HOST_BUDGET), TESSERA_GPU_SWAP_IDLE_MS="0",
               TESSERA_LOG_LEVEL="info", PYTORCH_CUDA_ALLOC_CONF="backend:native")
    proc = subprocess.Popen([sys.executable, __file__, "child"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log, log_lock = [], threading.Lock()

    def read_log():
        for line in proc.stderr:
            with log_lock:
                log.append(line.rstrip())

    threading.Thread(target=read_log, daemon=True).start()

    def answer(word):
        line = proc.stdout.readline()
        if not line:
            with log_lock:
                tail = "\n".join(log[-20:])
            fail(f"the workload ended before '{word}':\n{tail}")
        parts = line.split()
        if parts[0] != word:
            fail(f"expected '{word}', got: {line.strip()}")
        return parts[1:]

    def library_ms(kind, after):
        """The library's figure from its line 'swapped <kind> N bytes in M ms'."""
        pattern = re.compile(rf"swapped {kind} (\d+) bytes in (\d+) ms")
        deadline = time.time() + 120
        while time.time() < deadline:
            with log_lock:
                for line in log[after:]:
                    m = pattern.search(line)
                    if m:
                        return int(m.group(1)), int(m.group(2))
            time.sleep(0.01)
        fail(f"no 'swapped {kind}' line from the library")

    d2h, h2d = (float(x) for x in answer("copy"))
    sums = answer("sums")
    ptrs = answer("ptrs")
    pid = int(answer("ready")[0])
    print(f"# {torch.cuda.get_device_name(0)}, torch {torch.__version__}: plain 1 GiB copies "
          f"{1 / d2h:.1f} GiB/s to pinned host memory, {1 / h2d:.1f} GiB/s back")
    agent = Agent(usage_dir)
    resident, _, _ = agent.usage(pid)
    check(resident >= TENSORS * GIB, f"{resident / GIB:.2f} GiB counted before swapping")

    outs, ins = [], []
    for r in range(ROUNDS):
        with log_lock:
            mark = len(log)
        t0 = time.perf_counter()
        agent.command("out")
        deadline = time.time() + 300
        while True:
            used, swapped, flags = agent.usage(pid)
            if flags & SLOT_FLAG_SWAPPED and swapped >= TENSORS * GIB:
                break
            if time.time() > deadline:
                fail(f"round {r}: not swapped out (used {used}, swapped {swapped})")
            time.sleep(0.002)
        observed = time.perf_counter() - t0
        moved, ms = library_ms("out", mark)
        check(used < 256 * MIB, f"round {r}: swapped out: {used / MIB:.0f} MiB left counted on "
              f"the GPU, {swapped / GIB:.2f} GiB swapped")
        outs.append(moved / GIB / (max(ms, 1) / 1000))
        print(f"  swap-out: {moved / GIB:.2f} GiB in {ms} ms by the library "
              f"({outs[-1]:.1f} GiB/s, {ms / (moved / GIB):.0f} ms/GiB); "
              f"{observed * 1000:.0f} ms until the usage file showed it")
        with log_lock:
            mark = len(log)
        proc.stdin.write("touch\n")
        proc.stdin.flush()
        app_s = float(answer("touched")[0])
        moved_in, ms_in = library_ms("in", mark)
        ins.append(moved_in / GIB / app_s)
        print(f"  swap-in: {moved_in / GIB:.2f} GiB in {ms_in} ms by the library; the call that "
              f"needed it took {app_s * 1000:.0f} ms ({ins[-1]:.1f} GiB/s, "
              f"{app_s * 1000 / (moved_in / GIB):.0f} ms/GiB)")
        used, swapped, flags = agent.usage(pid)
        check(swapped == 0 and not flags & SLOT_FLAG_SWAPPED and used >= TENSORS * GIB,
              f"round {r}: swapped in: {used / GIB:.2f} GiB counted, nothing swapped")
        proc.stdin.write("sums\n")
        proc.stdin.flush()
        check(answer("sums") == sums, f"round {r}: every tensor's checksum unchanged")
        check(answer("ptrs") == ptrs, f"round {r}: every tensor at its address")
        answer("idle")
    proc.stdin.write("exit\n")
    proc.stdin.flush()
    proc.wait(timeout=60)
    print(f"# swap-out {statistics.median(outs):.1f} GiB/s, swap-in {statistics.median(ins):.1f} "
          f"GiB/s as the application sees it (median of {ROUNDS} rounds of "
          f"{TENSORS} GiB); plain copies {1 / d2h:.1f} / {1 / h2d:.1f} GiB/s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child()
    else:
        main(sys.argv[1])
