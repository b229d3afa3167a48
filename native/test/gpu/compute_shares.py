"""Compute shares on a real GPU: what fraction of the GPU's time each tenant gets.

Run by run_gpu_tests.sh (it passes the library's path). Each tenant is a process of its own,
in a container of its own as far as the library knows (its own TESSERA_USAGE_DIR, so its own
compute-share bucket), running a loop of matrix multiplications on GPU 0. A tenant's fraction
of the GPU is its rate (multiplications a second) over the rate the same loop reaches alone,
unpaced. Checks, as the stub-driver test t_compute does:

- two tenants with TESSERA_GPU_COMPUTE_SHARES=50 running the same loop get 50% +- 10 each;
- one with share 50 alone gets the whole GPU (>= 90% of its unpaced rate);
- unpaced, a tenant of small multiplications beside one of large ones gets much less than half
  (the case pacing is for), and paced (50 each) both get 50% +- 10.

Exits non-zero naming the first check that failed.
Usage: python3 compute_shares.py <libtessera-cuda.so> (or as a tenant: tenant <n> <seconds> <start>)
"""
import os
import subprocess
import sys
import tempfile
import time

RUN_S = 6.0
SMALL, LARGE, SAME = 1024, 4096, 2048


def tenant(n, seconds, start):
    import torch

    a = torch.randn(n, n, device="cuda", dtype=torch.float16)
    b = torch.randn(n, n, device="cuda", dtype=torch.float16)
    for _ in range(5):  # warm up: cuBLAS picks its kernels, the library measures them
        torch.mm(a, b)
    torch.cuda.synchronize()
    while time.time() < start:
        time.sleep(0.001)
    done, t0 = 0, time.time()
    while time.time() - t0 < seconds:
        for _ in range(8):
            torch.mm(a, b)
        torch.cuda.synchronize()  # keeps the queue short, as a training step does
        done += 8
    print(done / (time.time() - t0), flush=True)


def run(lib, tenants):
    """tenants: list of (matrix size, shares or None). Returns each one's rate."""
    start = time.time() + 8.0  # after every tenant's CUDA start-up
    procs = []
    for n, shares in tenants:
        env = dict(os.environ, LD_PRELOAD=lib, TESSERA_GPU_MEMORY_LIMITS=str(64 << 30),
                   TESSERA_USAGE_DIR=tempfile.mkdtemp())
        env.pop("TESSERA_GPU_COMPUTE_SHARES", None)
        if shares is not None:
            env["TESSERA_GPU_COMPUTE_SHARES"] = shares
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "tenant", str(n), str(RUN_S), str(start)],
            env=env, stdout=subprocess.PIPE, text=True))
    rates = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        if p.returncode != 0:
            fail(f"a tenant exited {p.returncode}")
        rates.append(float(out.strip().splitlines()[-1]))
    return rates


def fail(what):
    print(f"FAIL {what}", flush=True)
    sys.exit(1)


def check(condition, what):
    if not condition:
        fail(what)
    print(f"ok   {what}", flush=True)


def main(lib):
    solo = {n: run(lib, [(n, None)])[0] for n in (SMALL, LARGE, SAME)}
    print(f"# unpaced alone: {', '.join(f'{n}: {r:.0f}/s' for n, r in solo.items())}", flush=True)

    frac = [r / solo[SAME] for r in run(lib, [(SAME, "50"), (SAME, "50")])]
    for i, f in enumerate(frac):
        check(0.4 <= f <= 0.6, f"same loop, share 50: tenant {i} gets {f:.0%} of the GPU")

    f = run(lib, [(SAME, "50")])[0] / solo[SAME]
    check(f >= 0.9, f"share 50 alone gets the whole GPU ({f:.0%})")

    small, large = run(lib, [(SMALL, None), (LARGE, None)])
    print(f"# unpaced, side by side: small {small / solo[SMALL]:.0%}, "
          f"large {large / solo[LARGE]:.0%}", flush=True)
    small, large = run(lib, [(SMALL, "50"), (LARGE, "50")])
    check(0.4 <= small / solo[SMALL] <= 0.6, f"paced, small multiplications get "
          f"{small / solo[SMALL]:.0%} beside large ones")
    check(0.4 <= large / solo[LARGE] <= 0.6, f"paced, large multiplications get "
          f"{large / solo[LARGE]:.0%} beside small ones")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "tenant":
        tenant(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        print(__doc__)
        sys.exit(2)
