#!/usr/bin/env bash
# Drives the real kube-scheduler (v1.28.0) with and without Tessera on one control plane and
# prints pods bound per second, created-to-bound p50/p99 and kube-scheduler's algorithm time per pod,
# and their ratio. The same one-GPU pods go to the default scheduler and to tessera-scheduler
# (the stock kube-scheduler with deploy/'s profile calling the extender jar), in alternating order.
#
#   bench/scheduler-throughput.sh [--nodes N] [--pods N] [--rounds N] [--qps N] [--score-percent P]
#                                [--warmups N]
#
#   --nodes   GPU nodes, 8 GPUs each (default 28)
#   --pods    pods per run (default 200)
#   --rounds  runs per scheduler; the median is reported (default 3)
#   --warmups runs per scheduler before those, not counted: the JVMs compile their hot paths
#             (default 2)
#   --qps     lift both schedulers' API client rate limit (clientConnection.qps, burst twice that);
#             kube-scheduler's default is 50/s, which caps the default scheduler's binds
#   --score-percent  percentageOfNodesToScore for tessera-scheduler only: how many feasible nodes
#             kube-scheduler looks for, and so how many names it sends the extender
#
# Needs the control plane's scripts: $TESSERA_E2E_K8S, else ../shared/k8s beside the checkout.
# Builds the extender first (mvn -DskipTests install). Run from anywhere; takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=28 pods=200 rounds=3 qps= percent= warmups=2
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --pods) pods=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmups) warmups=$2; shift 2 ;;
    --qps) qps=$2; shift 2 ;;
    --score-percent) percent=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
k8s=${TESSERA_E2E_K8S:-$(cd .. && pwd)/shared/k8s}
if [ ! -x "$k8s/up.sh" ]; then
  echo "no control plane scripts at $k8s: set TESSERA_E2E_K8S to the directory with up.sh" >&2
  exit 2
fi
mvn -B -q -DskipTests install -pl e2e -am
props=(-Dtessera.bench.nodes="$nodes" -Dtessera.bench.pods="$pods" -Dtessera.bench.rounds="$rounds"
  -Dtessera.bench.warmups="$warmups")
[ -n "$qps" ] && props+=(-Dtessera.e2e.schedulerQps="$qps")
[ -n "$percent" ] && props+=(-Dtessera.e2e.percentageOfNodesToScore="$percent")
# A port base of its own, so it never meets a cluster the end-to-end tests started.
TESSERA_E2E_K8S="$k8s" TESSERA_E2E_PORT_BASE=${TESSERA_BENCH_PORT_BASE:-18000} \
  mvn -B -q -pl e2e verify -Dit.test=SchedulerThroughputBenchmark -Dfailsafe.failIfNoSpecifiedTests=false \
  "${props[@]}" > /dev/null || { echo "the benchmark failed; see e2e/target/failsafe-reports" >&2; exit 1; }
grep -v '^\[' e2e/target/failsafe-reports/dev.tessera.e2e.SchedulerThroughputBenchmark-output.txt
