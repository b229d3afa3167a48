#!/usr/bin/env bash
# The history store's query latency over 1,000,000 entries (HistoryQueryBenchmark): a page of 50 of
# the busiest workload's entries, unfiltered, by category, by text, by a day's range and 400 pages
# deep. Prints JMH's sampled latencies per query (p50, p99, ...); the target is under 100 ms.
#
#   mvn -o -q -B -pl bench -am package -DskipTests
#   bench/history-query.sh                      # every query, two to three minutes
#   bench/history-query.sh 'HistoryQueryBenchmark.byText'   # JMH's own arguments pass through
#
# Starts its own PostgreSQL (zonky's embedded binaries) in a temporary directory that the first
# JMH fork loads and the others reuse; the directory is deleted at the end. Linux, macOS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar=$here/target/tessera-bench.jar
[[ -f $jar ]] || { echo "no $jar: build it with mvn -o -q -B -pl bench -am package -DskipTests" >&2; exit 2; }
data=$(mktemp -d "${TMPDIR:-/tmp}/tessera-history-bench.XXXXXX")
trap 'rm -rf "$data"' EXIT
[[ $# -gt 0 ]] || set -- HistoryQueryBenchmark
java -cp "$jar" org.openjdk.jmh.Main -jvmArgsAppend "-Dtessera.bench.historyData=$data" "$@"
