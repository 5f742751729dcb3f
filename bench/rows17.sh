#!/bin/sh
# Issue 17's five rows in one run, for this checkout and, with BASE, for a
# base build alternately, so that both meet the same machine (BENCHMARKS.md,
# "Issue 17: the five rows"):
#
#   1. peak RSS of `syncd bench` at the end; peak Go heap of a refresh
#   2. GET /v1/games/{game} against a bare net/http server (bench/readpath.sh)
#   3. first full sync / SQLite floor (`syncd bench`, the same run as row 1)
#   4. price_update at 200 deliveries/s: delivery p50 and p99, reads p99
#      (BenchmarkSustainedWebhooks)
#   5. orders at 300/s: syncd's own p99, ORDERS runs a round
#      (BenchmarkOrders/paced), with the commits over 2 ms in each
#
# and the disk's fsync (bench/fsynclat) before and after, since row 5 is
# bounded by it. Each build runs with its own harness (its syncd bench and
# its api package's benchmarks). Nothing is asserted: the figures are
# printed, a line per row, build and round, then each row's medians.
#
#   bench/rows17.sh                          # this checkout, one round
#   BASE=9a01563 ROUNDS=3 bench/rows17.sh    # alternately with a base revision
#   ROWS="1 3" bench/rows17.sh               # only the rows named
#
# Environment: ROUNDS (1), BASE (a git revision; none), ROWS ("1 2 3 4 5"),
# ORDERS (4: row 5's runs per build and round; its target is every run of
# 16), READS (3: bench/readpath.sh rounds of READ_DURATION, 5s). Needs wrk
# for row 2 (apt-get install -y wrk). Run nothing else meanwhile: every row
# but 1 is a time.
set -eu

ROUNDS=${ROUNDS:-1}
ROWS=${ROWS:-1 2 3 4 5}
ORDERS=${ORDERS:-4}
READS=${READS:-3}
READ_DURATION=${READ_DURATION:-5s}

cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
worktree=''
cleanup() {
	status=$?
	if [ -n "$worktree" ]; then git -C "$root" worktree remove --force "$worktree" 2>/dev/null || true; fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

has() { case " $ROWS " in *" $1 "*) return 0 ;; esac; return 1; }

# build NAME DIR: syncd and the api test binary of the checkout in DIR.
build() {
	mkdir -p "$tmp/$1"
	(cd "$2" && go build -o "$tmp/$1/syncd" ./cmd/syncd && go test -c -o "$tmp/$1/api.test" ./api)
	echo "$1: $(git -C "$2" log -1 --format='%h %s' | cut -c1-72)$(git -C "$2" diff --quiet HEAD 2>/dev/null || echo ' (and uncommitted changes)')"
}

builds=new
echo "== building"
build new "$root"
if [ -n "${BASE:-}" ]; then
	worktree="$tmp/base-tree"
	git worktree add --detach "$worktree" "$BASE" >/dev/null 2>&1
	build base "$worktree"
	builds="base new"
fi
go build -o "$tmp/fsynclat" ./bench/fsynclat

# fsync WHEN: the disk's fsync percentiles, alone and two in turn (an
# order's floor).
fsync() {
	"$tmp/fsynclat" -dir "$tmp" | sed -n "2,\$ s/^/== disk $1: /p"
}

# srcdir NAME: the checkout NAME was built from, whose api directory
# (its testdata) its test binary runs in.
srcdir() {
	if [ "$1" = base ]; then echo "$worktree"; else echo "$root"; fi
}

# metric NAME FILE: the value before NAME in a Go benchmark's output line.
metric() {
	awk -v m="$2" '/^Benchmark/ { for (i = 2; i <= NF; i++) if ($i == m) print $(i - 1) }' "$1"
}

# syncbench NAME ROUND: rows 1 and 3.
syncbench() {
	out=$tmp/$1.bench
	(cd "$tmp" && "$tmp/$1/syncd" bench >"$out" 2>&1) || { cat "$out" >&2; return 1; }
	# The memory table's "refresh" row (one tier) is the refresh's peak
	# heap; builds before the table have none.
	heap=$(awk '$1 == "refresh" && $3 == "MB" { print $2 " MB" }' "$out")
	rss=$(awk -F'  +' '/^peak RSS at the end/ { print $2 }' "$out")
	ratio=$(awk -F'  +' '/^first sync \/ floor/ { print $2 }' "$out")
	if has 1; then echo "row 1  $1  round $2  peak RSS at the end ${rss:-?}  refresh peak heap ${heap:-?}"; fi
	if has 3; then echo "row 3  $1  round $2  first sync / floor ${ratio:-?}"; fi
}

# reads NAME ROUND: row 2, the median line of bench/readpath.sh.
reads() {
	SYNCD=$tmp/$1/syncd ROUNDS=$READS DURATION=$READ_DURATION sh bench/readpath.sh >"$tmp/$1.reads" 2>&1 ||
		{ cat "$tmp/$1.reads" >&2; return 1; }
	awk -v b="$1" -v r="$2" '$1 == "median" { printf "row 2  %s  round %s  req/s %s of bare  p99 %s  cpu %s\n", b, r, $8, $9, $10 }' "$tmp/$1.reads"
}

# webhooks NAME ROUND: row 4.
webhooks() {
	(cd "$(srcdir "$1")/api" && "$tmp/$1/api.test" -test.run '^$' -test.bench 'SustainedWebhooks' -test.benchtime 1x >"$tmp/$1.hooks" 2>&1) ||
		{ cat "$tmp/$1.hooks" >&2; return 1; }
	f=$tmp/$1.hooks
	echo "row 4  $1  round $2  delivery p50 $(metric "$f" webhook-p50-ms) ms  p99 $(metric "$f" webhook-p99-ms) ms  reads p99 $(metric "$f" read-p99-ms) ms  reads/s $(metric "$f" reads/s)"
}

# orders NAME ROUND: row 5, ORDERS runs.
orders() {
	i=1
	while [ "$i" -le "$ORDERS" ]; do
		(cd "$(srcdir "$1")/api" && "$tmp/$1/api.test" -test.run '^$' -test.bench 'BenchmarkOrders/paced' -test.benchtime 1500x >"$tmp/$1.orders" 2>&1) ||
			{ cat "$tmp/$1.orders" >&2; return 1; }
		f=$tmp/$1.orders
		slow=$(metric "$f" 'commits>2ms')
		echo "row 5  $1  round $2.$i  own p50 $(metric "$f" own-p50-ms) ms  own p99 $(metric "$f" own-p99-ms) ms  commits>2ms ${slow:-?}  orders/s $(metric "$f" orders/s)"
		i=$((i + 1))
	done
}

# run FUNCTION NAME ROUND: one row's measurement, its lines printed and
# kept for the medians; a failure ends the script.
run() {
	"$@" >"$tmp/row" || { cat "$tmp/row"; echo "rows17: $1 failed for $2" >&2; exit 1; }
	tee -a "$tmp/lines" <"$tmp/row"
}

fsync before
echo "== load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/lines"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	# Alternate which build goes first, so a drift in the machine's speed
	# favours neither.
	order=$builds
	if [ $((r % 2)) -eq 0 ] && [ -n "${BASE:-}" ]; then order="new base"; fi
	for b in $order; do
		if has 1 || has 3; then run syncbench "$b" "$r"; fi
		if has 2; then run reads "$b" "$r"; fi
		if has 4; then run webhooks "$b" "$r"; fi
		if has 5; then run orders "$b" "$r"; fi
	done
	r=$((r + 1))
done
fsync after
echo "== load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The median of each figure of each row and build: every number on a
# row's lines at the same place.
echo "== medians"
awk '
	{
		key = $2 " " $3; n[key]++
		if (!(key in shape)) { shape[key] = $0; order[++keys] = key }
		for (i = 6; i <= NF; i++) if ($i ~ /^[0-9.]+[%x]?$/) { v[key, i, n[key]] = $i + 0 }
	}
	function median(key, i,    k, j, t, a, c) {
		c = n[key]
		for (k = 1; k <= c; k++) a[k] = v[key, i, k]
		for (k = 1; k <= c; k++) for (j = k + 1; j <= c; j++) if (a[j] < a[k]) { t = a[k]; a[k] = a[j]; a[j] = t }
		return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
	}
	END {
		for (o = 1; o <= keys; o++) {
			key = order[o]; split(shape[key], w, " "); line = "row " key " (" n[key] " runs)"
			for (i = 6; i in w; i++) {
				if ((key SUBSEP i SUBSEP 1) in v) {
					s = w[i]; u = s; sub(/^[0-9.]+/, "", u)
					m = median(key, i)
					line = line " " sprintf(m >= 100 ? "%.0f" : "%.3g", m) u
				} else line = line " " w[i]
			}
			print line
		}
	}' "$tmp/lines"
