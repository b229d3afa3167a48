#!/usr/bin/env bash
# Footprint of the node agent on a GPU node, measured on simulated GPUs:
#
#   * resident memory (VmRSS, and its peak VmHWM, from /proc/<pid>/status),
#   * CPU in % of one core (utime+stime from /proc/<pid>/stat) over a steady-state window, with
#     /metrics scraped every SCRAPE_EVERY seconds as Prometheus would,
#   * latency from a simulated GPU state change (a "load" command on the agent's standard input)
#     to the new figure on /metrics, polled every 10 ms.
#
# Targets: <= 100 MB RSS, <= 1 % of a core. Linux only (reads /proc). Needs java and curl.
#
#   mvn -o -q -B -pl node-agent -am package -DskipTests
#   bench/agent-footprint.sh                 # 8 GPUs, 1 Hz sampling, 60 s window
#   DURATION=300 GPUS=16xNVIDIA-H100-80GB-HBM3:81559 bench/agent-footprint.sh
#   EXTENDER=127.0.0.1:8889 bench/agent-footprint.sh   # with the report stream to an extender
#   # Everything on, against the extender's embedded demo (its API server URL is in its log):
#   java -jar extender/target/tessera-extender.jar --embedded --keep-running &
#   KUBECONFIG=kubeconfig-for-that-url EXTENDER=127.0.0.1:8889 NODE=gpu-a100-01 DEVICE_PLUGIN=on \
#     bench/agent-footprint.sh
set -euo pipefail

# The JVM flags of deploy/70-node-agent.yaml (JAVA_TOOL_OPTIONS); node-agent's
# DeployManifestsTest fails when the two differ.
JVM_FLAGS="-Xms16m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=64m -Xss512k -XX:CICompilerCount=1 -XX:+ExitOnOutOfMemoryError -Dio.grpc.netty.shaded.io.netty.allocator.type=unpooled"

here=$(cd "$(dirname "$0")" && pwd)
JAR=${JAR:-$here/../node-agent/target/tessera-node-agent.jar}
GPUS=${GPUS:-8xNVIDIA-A100-SXM4-80GB:81920}
SAMPLE_PERIOD=${SAMPLE_PERIOD:-1s}
DURATION=${DURATION:-60}        # seconds of steady state measured
WARMUP=${WARMUP:-10}            # seconds after /metrics first answers (class loading, JIT)
SCRAPE_EVERY=${SCRAPE_EVERY:-15}
CHANGES=${CHANGES:-20}          # state changes timed for the latency figure
PORT=${PORT:-19400}
EXTENDER=${EXTENDER:-}           # host:port of a running extender's report port; empty: no reports
NODE=${NODE:-bench-node}          # the node name reported; one the extender knows gets its reports accepted
DEVICE_PLUGIN=${DEVICE_PLUGIN:-}  # "on": serve the device plugin too (needs $KUBECONFIG; no kubelet needed)
URL="http://127.0.0.1:$PORT/metrics"

[[ -f $JAR ]] || { echo "no $JAR: build it with mvn -o -q -B -pl node-agent -am package -DskipTests" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }

work=$(mktemp -d)
fifo=$work/stdin
mkfifo "$fifo"
plugin_flags=(--no-device-plugin)
if [[ $DEVICE_PLUGIN == on ]]; then
  # Its own plugin directory: with no kubelet.sock there the plugin serves and retries registering.
  mkdir -p "$work/device-plugins" "$work/state"
  plugin_flags=(--device-plugin --device-plugin-dir "$work/device-plugins" --state-dir "$work/state")
fi
pid=
cleanup() {
  exec 3>&- 2>/dev/null || true
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [[ -n ${KEEP_LOG:-} ]] && cp "$work/agent.log" "$KEEP_LOG"
  rm -rf "$work"
}
trap cleanup EXIT

# stdin is a FIFO held open by this script (fd 3): the agent's simulation console reads commands
# from it. JAVA_TOOL_OPTIONS, as in the DaemonSet.
JAVA_TOOL_OPTIONS="$JVM_FLAGS" java -jar "$JAR" \
  --simulate "$GPUS" --sample-period "$SAMPLE_PERIOD" --metrics-port "$PORT" \
  --node-name "$NODE" "${plugin_flags[@]}" ${EXTENDER:+--extender "$EXTENDER"} \
  <"$fifo" >"$work/agent.log" 2>&1 &
pid=$!
exec 3>"$fifo"

now_ns() { date +%s%N; }
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }   # utime + stime, after "(comm)" has no spaces
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
hz=$(getconf CLK_TCK)

start_ns=$(now_ns)
until curl -sf -o /dev/null "$URL"; do
  kill -0 "$pid" 2>/dev/null || { echo "the agent exited:" >&2; cat "$work/agent.log" >&2; exit 1; }
  sleep 0.05
done
up_ms=$(( ($(now_ns) - start_ns) / 1000000 ))
sleep "$WARMUP"

# --- steady state: RSS and CPU ---------------------------------------------------------------------
t0=$(now_ns); c0=$(ticks); max_rss=0; next_scrape=0
for ((s = 0; s < DURATION; s++)); do
  if (( s >= next_scrape )); then
    curl -sf -o /dev/null "$URL"
    next_scrape=$(( s + SCRAPE_EVERY ))
  fi
  rss=$(status_kb VmRSS); (( rss > max_rss )) && max_rss=$rss
  sleep 1
done
t1=$(now_ns); c1=$(ticks)
rss=$(status_kb VmRSS); hwm=$(status_kb VmHWM); threads=$(status_kb Threads)
cpu=$(awk -v d="$((c1 - c0))" -v hz="$hz" -v ns="$((t1 - t0))" 'BEGIN { printf "%.2f", 100 * d / hz / (ns / 1e9) }')
cpu_all=$(awk -v d="$c1" -v hz="$hz" -v ns="$((t1 - start_ns))" 'BEGIN { printf "%.2f", 100 * d / hz / (ns / 1e9) }')

# --- latency: simulated change -> /metrics ----------------------------------------------------------
lat=()
ext=()
for ((i = 1; i <= CHANGES; i++)); do
  util=$(( 10 + (i * 37) % 89 ))                     # a new value every time, 10..98
  [[ $util == "${prev:-}" ]] && util=$(( util + 1 ))
  prev=$util
  sleep 0.$(( RANDOM % 9 + 1 ))                      # land anywhere within the sample period
  t=$(now_ns)
  echo "load 0 40960 $util" >&3
  until curl -sf "$URL" | grep -Eq "^DCGM_FI_DEV_GPU_UTIL\{[^}]*gpu=\"0\"[^}]*\} $util(\.0)?$"; do
    (( $(now_ns) - t > 10000000000 )) && { echo "change $util never showed on /metrics" >&2; exit 1; }
    sleep 0.01
  done
  lat+=($(( ($(now_ns) - t) / 1000000 )))
  if [[ -n $EXTENDER ]]; then
    # The extender has the change once it accepted a report whose snapshot was taken after it.
    t_s=$(awk -v ns="$t" 'BEGIN { printf "%.3f", ns / 1e9 }')
    until curl -sf "$URL" | awk -v t="$t_s" '$1 == "tessera_agent_report_accepted_sample_timestamp_seconds" && $2 != "NaN" && $2 + 0 >= t { ok = 1 } END { exit !ok }'; do
      (( $(now_ns) - t > 60000000000 )) && { echo "change $util never reached the extender (is NODE one it knows?)" >&2; exit 1; }
      sleep 0.01
    done
    ext+=($(( ($(now_ns) - t) / 1000000 )))
  fi
done
read -r lmin lmed lmax lmean < <(printf '%s\n' "${lat[@]}" | sort -n | awk '
  { v[NR] = $1; s += $1 } END { printf "%d %d %d %d\n", v[1], v[int((NR + 1) / 2)], v[NR], s / NR }')
extender_line="not measured (no EXTENDER)"
if [[ -n $EXTENDER ]]; then
  read -r emin emed emax emean < <(printf '%s\n' "${ext[@]}" | sort -n | awk '
    { v[NR] = $1; s += $1 } END { printf "%d %d %d %d\n", v[1], v[int((NR + 1) / 2)], v[NR], s / NR }')
  extender_line="min ${emin} ms, median ${emed} ms, mean ${emean} ms, max ${emax} ms (bounded by sample period + report interval)"
fi

cat <<REPORT
node agent footprint: $GPUS simulated, sampling every $SAMPLE_PERIOD, node $NODE, reports to ${EXTENDER:-nobody}, device plugin ${DEVICE_PLUGIN:-off}, $(nproc) CPUs, $(java -version 2>&1 | head -1)
  JVM flags          $JVM_FLAGS
  /metrics up after  ${up_ms} ms
  RSS                $((rss / 1024)) MiB now, $((max_rss / 1024)) MiB max over ${DURATION} s, $((hwm / 1024)) MiB peak (VmHWM)   [target <= 100 MB]
  CPU                ${cpu} % of one core over ${DURATION} s steady state (scraped every ${SCRAPE_EVERY} s)   [target <= 1 %]
                     ${cpu_all} % including startup
  threads            ${threads}
  agent log          $(grep -c . "$work/agent.log") lines, $(grep -c WARN "$work/agent.log") warnings
  change->/metrics   min ${lmin} ms, median ${lmed} ms, mean ${lmean} ms, max ${lmax} ms over ${CHANGES} changes (bounded by the sample period)
  change->extender   ${extender_line}
REPORT
