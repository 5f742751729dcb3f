#!/bin/sh
# Read-path benchmark with an external load generator (issue 17).
#
# Starts `syncd demo` and a bare net/http server (bench/barehttp) that
# answers with the very bytes syncd serves for GET /v1/games/$GAME, then
# loads each with wrk (Debian's wrk package) in alternating runs and prints
# syncd's throughput, p99 latency and CPU time per request as ratios of the
# bare server's. The machine's load moves absolute figures between runs;
# the ratios of neighbouring runs are the result, and CPU per request is
# the one other work on the machine disturbs least.
#
#   bench/readpath.sh                      # 3 rounds of 10 s each side
#   ROUNDS=1 DURATION=1s bench/readpath.sh # a smoke run (as CI does): no timing is asserted
#   WARMUP=0 bench/readpath.sh             # a syncd just started, measured from its first request
#   SYNCD=/tmp/base/syncd bench/readpath.sh  # another syncd binary (a base to compare)
#   BAREFLAGS=-timeouts bench/readpath.sh    # the bare server with syncd's server timeouts
#
# Before the rounds, each server is loaded for WARMUP (2s; 0 skips it) and
# the figures thrown away: a syncd just started grows its heap to the GC
# floor (SYNCD_GC_FLOOR) through fresh pages the kernel faults in, and its
# first round measured that rather than serving (1.16-1.59x bare's p99 in
# round 1 against 0.95-1.16x in the rounds after, four runs of 00:20).
#
# Environment: ROUNDS (3), DURATION (10s), WARMUP (2s), THREADS (2),
# CONNS (64), GAME (mobile-legends), SYNCD (built from this checkout when unset),
# BAREFLAGS (flags of bench/barehttp; none by default, which is issue 17's
# yardstick).
set -eu

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
GAME=${GAME:-mobile-legends}

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "readpath: wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "readpath: curl is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
syncd_pid='' bare_pid=''
# cleanup stops both servers and keeps the script's own exit status (a
# stopped server's would otherwise be the script's).
cleanup() {
	status=$?
	if [ -n "$syncd_pid" ]; then kill "$syncd_pid" 2>/dev/null; wait "$syncd_pid" 2>/dev/null || true; fi
	if [ -n "$bare_pid" ]; then kill "$bare_pid" 2>/dev/null; wait "$bare_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${SYNCD:-}" ]; then
	go build -o "$tmp/syncd" ./cmd/syncd
	SYNCD=$tmp/syncd
fi
go build -o "$tmp/barehttp" ./bench/barehttp

# alive PID: whether process PID runs. A child that exited stays a zombie
# until it is waited for, and kill -0 still finds a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) return 1 ;; esac
}

# waitfor PID FILE PATTERN: the first line of FILE matching PATTERN, once
# process PID writes it (within 60 s, and while it runs).
waitfor() {
	i=0
	while ! grep -q "$3" "$2" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 600 ] || ! alive "$1"; then
			echo "readpath: no '$3' from process $1; its output:" >&2
			cat "$2" "${2%.out}.err" >&2 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
	grep -m1 "$3" "$2"
}

# No syncs during the runs (the demo's first sync builds the catalog at
# start), no simulated storefront orders.
SYNCD_ADDR=127.0.0.1:0 SYNCD_SYNC_INTERVAL=1h SYNCD_DEMO_TRAFFIC=false \
	"$SYNCD" demo >"$tmp/demo.out" 2>"$tmp/demo.err" &
syncd_pid=$!
line=$(waitfor "$syncd_pid" "$tmp/demo.out" 'syncd: listening on http://') || exit 1
addr=${line#*http://}
line=$(waitfor "$syncd_pid" "$tmp/demo.out" 'export SHOP=') || exit 1
shop=${line#*export SHOP=}
syncd_url="http://$addr/v1/games/$GAME"
curl -sf -H "Authorization: Bearer $shop" -o "$tmp/body.json" "$syncd_url"

# shellcheck disable=SC2086 # BAREFLAGS is a list of flags
"$tmp/barehttp" -body "$tmp/body.json" ${BAREFLAGS:-} >"$tmp/bare.out" 2>&1 &
bare_pid=$!
line=$(waitfor "$bare_pid" "$tmp/bare.out" 'listening on http://') || exit 1
bare_url="${line#*listening on }/v1/games/$GAME"

# cputicks PID: the process's CPU time so far (user and system), in clock
# ticks.
cputicks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# load NAME URL PID: one wrk run; prints "NAME RPS P99_MS CPU_US_PER_REQUEST".
# The server's own CPU time per request is the steadier figure on a busy
# machine: other work takes turns from both sides, not work from them.
load() {
	before=$(cputicks "$3")
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $shop" "$2" >"$tmp/wrk.out"
	after=$(cputicks "$3")
	if grep -q 'Non-2xx' "$tmp/wrk.out"; then
		echo "readpath: $1 answered errors:" >&2
		cat "$tmp/wrk.out" >&2
		return 1
	fi
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")
	p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; print v}' "$tmp/wrk.out")
	requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
	echo "$1 $rps $p99 $(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { print t / hz / n * 1e6 }')"
}

echo "GET /v1/games/$GAME: $(wc -c <"$tmp/body.json") bytes; wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds after a warm-up of $WARMUP, bare${BAREFLAGS:+ ($BAREFLAGS)} and syncd alternating"
case $WARMUP in
0 | 0s) ;;
*)
	for url in "$bare_url" "$syncd_url"; do
		wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -H "Authorization: Bearer $shop" "$url" >/dev/null
	done
	;;
esac
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/results"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	# Alternate which goes first, so a drift in the machine's load
	# favours neither.
	if [ $((r % 2)) -eq 1 ]; then
		load bare "$bare_url" "$bare_pid" >>"$tmp/results"
		load syncd "$syncd_url" "$syncd_pid" >>"$tmp/results"
	else
		load syncd "$syncd_url" "$syncd_pid" >>"$tmp/results"
		load bare "$bare_url" "$bare_pid" >>"$tmp/results"
	fi
	r=$((r + 1))
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

awk '
	{ n[$1]++; rps[$1, n[$1]] = $2; p99[$1, n[$1]] = $3; cpu[$1, n[$1]] = $4 }
	function median(a, side, k,    i, j, t, v) {
		for (i = 1; i <= k; i++) v[i] = a[side, i]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
	}
	function row(name, br, sr, bp, sp, bc, sc) {
		printf "%-6s %11.0f %11.0f %9.2fms %9.2fms %8.1fus %8.1fus %7.0f%% %6.2fx %6.2fx\n", name, br, sr, bp, sp, bc, sc, 100 * sr / br, sp / bp, sc / bc
	}
	END {
		k = n["syncd"]
		printf "%-6s %11s %11s %11s %11s %10s %10s %8s %7s %7s\n", "round", "bare req/s", "syncd req/s", "bare p99", "syncd p99", "bare cpu", "syncd cpu", "req/s", "p99", "cpu"
		for (i = 1; i <= k; i++)
			row(i, rps["bare", i], rps["syncd", i], p99["bare", i], p99["syncd", i], cpu["bare", i], cpu["syncd", i])
		row("median", median(rps, "bare", k), median(rps, "syncd", k), median(p99, "bare", k), median(p99, "syncd", k), median(cpu, "bare", k), median(cpu, "syncd", k))
		print "(req/s: syncd as a share of bare; p99 and cpu, the server process'"'"'s CPU time per request: syncd over bare)"
	}' "$tmp/results"
