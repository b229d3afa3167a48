#!/bin/sh
# Runs the micro-benchmarks with the library preloaded and a limit that is never reached:
# alloc/free pairs (1 and N threads), then kernel launches without and with a compute share, and
# with swap on.
# Usage: sh bench/run_bench.sh <target dir> [pairs] [threads]
set -eu
TARGET=${1:-target}
ABS=$(cd "$TARGET" && pwd)
USAGE=$(mktemp -d)
trap 'rm -rf "$USAGE"' EXIT INT TERM
for threads in 1 ${3:-2}; do
    env LD_PRELOAD="$ABS/libtessera-cuda.so" LD_LIBRARY_PATH="$ABS/test" \
        TESSERA_GPU_MEMORY_LIMITS=68719476736 TESSERA_USAGE_DIR="$USAGE" \
        TSTUB_TOTAL_BYTES=68719476736 "$ABS/bench/bench_alloc" "${2:-1000000}" "$threads"
done
for shares in "" 50; do
    env LD_PRELOAD="$ABS/libtessera-cuda.so" LD_LIBRARY_PATH="$ABS/test" \
        TESSERA_GPU_MEMORY_LIMITS=68719476736 TESSERA_USAGE_DIR="$USAGE" \
        TESSERA_GPU_COMPUTE_SHARES="$shares" TSTUB_TOTAL_BYTES=68719476736 \
        "$ABS/bench/bench_launch" "${2:-1000000}"
done
# A container with swap whose memory is resident: the gate's two atomics per launch.
env LD_PRELOAD="$ABS/libtessera-cuda.so" LD_LIBRARY_PATH="$ABS/test" \
    TESSERA_GPU_MEMORY_LIMITS=68719476736 TESSERA_USAGE_DIR="$USAGE" TESSERA_GPU_SWAP=1 \
    TESSERA_GPU_SWAP_HOST_BYTES=68719476736 TESSERA_GPU_SWAP_IDLE_MS=0 \
    TSTUB_TOTAL_BYTES=68719476736 "$ABS/bench/bench_launch" "${2:-1000000}"
