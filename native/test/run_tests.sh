#!/bin/sh
# Runs the C tests against the stub driver with the library preloaded; exits non-zero if
# any fails. Usage: sh test/run_tests.sh <target dir>
set -u
TARGET=${1:-target}
T=$(cd "$TARGET/test" && pwd)
LIB=$(cd "$TARGET" && pwd)/libtessera-cuda.so
TMP=$(mktemp -d "$T/run.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

L=67108864                      # device 0's limit in most tests (64 MiB)
LIMITS="$L,4294967296"          # device 1: above the stub's 1 GiB
PHYSICAL=1073741824
failures=0

# check NAME STDERR_LINES [VAR=VALUE...] PROGRAM [ARGS...]
# Runs with a clean Tessera environment, a fresh usage directory and the stub on the path.
check() {
    name=$1 want=$2
    shift 2
    usage=$(mktemp -d "$TMP/usage.XXXXXX")
    timeout 300 env -u TESSERA_GPU_MEMORY_LIMITS -u TESSERA_GPU_MEMORY_REQUESTS \
        -u TESSERA_LOAN_WAIT_MS -u TESSERA_GPU_COMPUTE_SHARES -u TSTUB_SHARED_FILE \
        -u TESSERA_GPU_SWAP -u TESSERA_GPU_SWAP_HOST_BYTES -u TESSERA_GPU_SWAP_IDLE_MS \
        -u TSTUB_GPU_FILE -u TESSERA_DISABLE -u TESSERA_LOG_LEVEL -u NVIDIA_VISIBLE_DEVICES \
        LD_PRELOAD="$LIB" LD_LIBRARY_PATH="$T" TSTUB_TOTAL_BYTES=$PHYSICAL \
        TESSERA_USAGE_DIR="$usage" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    lines=$(wc -l <"$TMP/$name.err")
    if [ "$rc" -eq 0 ] && [ "$lines" -eq "$want" ]; then
        echo "PASS $name"
    else
        echo "FAIL $name (exit $rc, $lines stderr line(s), want $want)"
        sed 's/^/    out: /' "$TMP/$name.out"
        sed 's/^/    err: /' "$TMP/$name.err"
        failures=$((failures + 1))
    fi
}

check link 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_link"
check dlsym 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_dlsym"
check procaddr 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_procaddr"
check multiproc 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_multiproc"
# exit() and SIGKILL while threads allocate: the total comes back exactly (driver calls 50 us).
check exitrace 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS TSTUB_CALL_DELAY_US=50 "$T/t_exitrace"
# Device memory beyond single allocations, one path each: pools that keep freed memory, a
# pool of another device, frees that wait for the stream, memory that lives while mapped,
# graph memory nodes (explicit and captured), context limits, the pre-3.2 entry points.
for case in pool-threshold pool-device free-async vmm graph capture legacy; do
    check "devmem-$case" 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_devmem" "$case"
done
# Two limits refused as beyond the container's: one warning line each.
check devmem-limits 2 TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_devmem" limits
# Compute shares: tenants in containers of their own share one stub GPU's time.
check compute 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_compute"
# GPU memory swap: the test plays the node agent (swap.ctl commands, the usage file). Host
# budget 64 MiB on device 0 (24 MiB where a case fills it), none on device 1; idle swap off
# unless the case is about it.
SWAP="TESSERA_GPU_MEMORY_LIMITS=$LIMITS TESSERA_GPU_SWAP=1 TESSERA_GPU_SWAP_IDLE_MS=0"
for case in roundtrip usage launch copy; do
    check "swap-$case" 0 $SWAP TESSERA_GPU_SWAP_HOST_BYTES=$L,0 "$T/t_swap" "$case"
done
# Past the budget (the container's: another process holds part of it): one warning line.
check swap-budget 1 $SWAP TESSERA_GPU_SWAP_HOST_BYTES=25165824,0 "$T/t_swap" budget
check swap-exit 0 $SWAP TESSERA_GPU_SWAP_HOST_BYTES=25165824,0 "$T/t_swap" exit
# Threads allocating, copying and freeing while swapped out and in (driver calls take 20 us).
check swap-concurrency 0 $SWAP TESSERA_GPU_SWAP_HOST_BYTES=$L,0 TESSERA_LOG_LEVEL=info \
    TSTUB_CALL_DELAY_US=20 "$T/t_swap" concurrency
check swap-idle 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS TESSERA_GPU_SWAP=1 \
    TESSERA_GPU_SWAP_HOST_BYTES=$L,0 TESSERA_GPU_SWAP_IDLE_MS=300 "$T/t_swap" idle
check swap-off 0 TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_swap" off

# Tenants sharing one stub GPU, with the test as the node agent (it sets their configuration).
check loans 0 "$T/t_loan_agent"

# NVML: the stub lists four GPUs in an order of its own, 100 MiB used and 8 MiB reserved on
# each; the container sees A, B and C (A in upper case: UUIDs match in any case), limited to
# 64 MiB on A and above the physical size on B. The tests start t_loan to hold memory on A.
NVML="TSTUB_NVML_DEVICES=4 TSTUB_NVML_UUIDS=GPU-bbbb,GPU-xxxx,GPU-aaaa,GPU-cccc
      TSTUB_NVML_USED_BYTES=104857600 TSTUB_NVML_RESERVED_BYTES=8388608"
VISIBLE=NVIDIA_VISIBLE_DEVICES=GPU-AAAA,GPU-bbbb,GPU-cccc
check nvml-link 0 $NVML $VISIBLE TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_nvml" limited
check nvml-dlsym 0 $NVML $VISIBLE TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_nvml_dlsym" limited
# Enforcing, but no NVML device maps to a limit: answers pass through.
check nvml-visible-unset 0 $NVML TESSERA_GPU_MEMORY_LIMITS=$LIMITS "$T/t_nvml" untouched
check nvml-visible-all 0 $NVML NVIDIA_VISIBLE_DEVICES=all TESSERA_GPU_MEMORY_LIMITS=$LIMITS \
    "$T/t_nvml_dlsym" untouched
# Not enforcing: answers and entry points pass through; a bad configuration still says so once.
check nvml-disabled 0 $NVML $VISIBLE TESSERA_GPU_MEMORY_LIMITS=$LIMITS TESSERA_DISABLE=1 \
    "$T/t_nvml_dlsym" off
check nvml-bad-config 1 $NVML $VISIBLE TESSERA_GPU_MEMORY_LIMITS=abc "$T/t_nvml_dlsym" off
check nvml-bad-config-link 1 $NVML $VISIBLE TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_USAGE_DIR= \
    "$T/t_nvml" off

# Missing or malformed configuration: everything passes through, one line says why.
check config-missing-limits 1 "$T/t_config" passthrough
check config-empty-limits 1 TESSERA_GPU_MEMORY_LIMITS= "$T/t_config" passthrough
check config-garbage-limits 1 TESSERA_GPU_MEMORY_LIMITS=abc "$T/t_config" passthrough
check config-empty-entry 1 TESSERA_GPU_MEMORY_LIMITS=1048576,,1048576 "$T/t_config" passthrough
check config-negative 1 TESSERA_GPU_MEMORY_LIMITS=-5 "$T/t_config" passthrough
check config-overflow 1 TESSERA_GPU_MEMORY_LIMITS=99999999999999999999999 "$T/t_config" passthrough
check config-trailing-junk 1 "TESSERA_GPU_MEMORY_LIMITS=1048576 " "$T/t_config" passthrough
check config-units 1 TESSERA_GPU_MEMORY_LIMITS=1GiB "$T/t_config" passthrough
check config-missing-dir 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_USAGE_DIR= "$T/t_config" passthrough
# Requests are held to the same standard: a bad list would misstate what is on loan.
check config-garbage-requests 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_MEMORY_REQUESTS=abc \
    "$T/t_config" passthrough
check config-empty-requests 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_MEMORY_REQUESTS= \
    "$T/t_config" passthrough
check config-requests-count 1 TESSERA_GPU_MEMORY_LIMITS=1048576,1048576 TESSERA_GPU_MEMORY_REQUESTS=524288 \
    "$T/t_config" passthrough
check config-request-above-limit 1 TESSERA_GPU_MEMORY_LIMITS=1048576,1048576 \
    TESSERA_GPU_MEMORY_REQUESTS=524288,1048577 "$T/t_config" passthrough
check config-request-zero 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_MEMORY_REQUESTS=0 \
    "$T/t_config" passthrough
check config-disabled 0 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_DISABLE=1 "$T/t_config" passthrough
# An unusable usage directory still enforces the limit (per process tree), with one line.
check config-bad-dir 1 TESSERA_GPU_MEMORY_LIMITS=1048576,1048576 TESSERA_USAGE_DIR=/nonexistent/tessera \
    "$T/t_config" enforce
check config-log-level 0 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_LOG_LEVEL=error "$T/t_config" enforce
check config-requests 0 TESSERA_GPU_MEMORY_LIMITS=1048576,0 TESSERA_GPU_MEMORY_REQUESTS=524288,0 \
    "$T/t_config" enforce
# A bad loan wait costs only its default: the limits still apply, one line says so.
check config-bad-loan-wait 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_LOAN_WAIT_MS=5s "$T/t_config" enforce
check config-loan-wait-too-long 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_LOAN_WAIT_MS=600001 \
    "$T/t_config" enforce
check config-no-loan-wait 0 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_LOAN_WAIT_MS=0 "$T/t_config" enforce
# A bad compute share costs only the pacing: the limits still apply, one line says so.
check config-bad-shares 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_COMPUTE_SHARES=0 "$T/t_config" enforce
check config-shares-count 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_COMPUTE_SHARES=50,50 \
    "$T/t_config" enforce
check config-shares-percent 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_COMPUTE_SHARES=0.5 \
    "$T/t_config" enforce
check config-shares 0 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_COMPUTE_SHARES=50 "$T/t_config" enforce
# A bad swap setting costs only the swap: the limits still apply, one line says so.
check config-swap-no-budget 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_SWAP=1 \
    "$T/t_config" enforce
check config-swap-budget-count 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_SWAP=1 \
    TESSERA_GPU_SWAP_HOST_BYTES=1048576,1048576 "$T/t_config" enforce
check config-swap-not-bool 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_SWAP=yes \
    TESSERA_GPU_SWAP_HOST_BYTES=1048576 "$T/t_config" enforce
check config-swap-bad-idle 1 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_SWAP=1 \
    TESSERA_GPU_SWAP_HOST_BYTES=1048576 TESSERA_GPU_SWAP_IDLE_MS=1m "$T/t_config" enforce
check config-swap 0 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_SWAP=1 \
    TESSERA_GPU_SWAP_HOST_BYTES=1048576 TESSERA_GPU_SWAP_IDLE_MS=0 "$T/t_config" enforce
check config-swap-zero 0 TESSERA_GPU_MEMORY_LIMITS=1048576 TESSERA_GPU_SWAP=0 "$T/t_config" enforce

# Real driver, CUDA and PyTorch where this machine has them; a SKIP line with the reason where not.
sh "$(dirname "$0")/gpu/run_gpu_tests.sh" "$TARGET" || failures=$((failures + 1))

if [ "$failures" -ne 0 ]; then
    echo "$failures native test(s) failed"
    exit 1
fi
echo "all native tests passed"
