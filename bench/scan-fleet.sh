#!/usr/bin/env bash
# Full-inventory scan throughput and peak memory against a mock fleet on loopback.
#
#   bench/scan-fleet.sh [COUNT] [PROFILE] [CONCURRENCY] [TLS]
#
# TLS (default: none) is a mock TLS mode (modern, tls12, legacy, mtls...): the devices
# also serve it on 16993 and the scan reads them with `--tls on --ca` (and the
# mock's client certificate for mtls), so the figure includes every handshake.
#
# Starts COUNT mock devices (one per loopback address from 127.90.0.1, port
# 16992) in one mock-amt process, scans them all with credentials (probe plus
# every class read), and prints hosts/s, the scanner's peak RSS, and per host
# the requests, TCP connections and TLS handshakes the mock counted. Both
# processes share the machine, so the figure is a floor for the scanner alone.
set -euo pipefail
# No DNS lookups (--no-dns; older binaries ignore the variable): these figures
# measure the scan itself, and bench/dns-path.sh what DNS adds to it.
export AMTREADY_NO_DNS=1
cd "$(dirname "$0")/.."
count=${1:-500}
profile=${2:-amt-15.0}
concurrency=${3:-128}
tls=${4:-}
first=${BENCH_FIRST:-127.90.0.1}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# BENCH_BIN runs binaries already built elsewhere (an older tree's, to
# alternate old and new on one machine); otherwise this tree's, built now.
# BENCH_SCAN_ARGS adds scan options (`--rate 0`: the sweep's default 2,000
# attempts/s over two ports caps any fleet at 1,000 hosts/s).
# BENCH_SCANNER replaces only the scanner (an old scanner against this mock,
# whose counters the old one may not have).
if [ -n "${BENCH_BIN:-}" ]; then
  bin=$BENCH_BIN
else
  cargo build --release --quiet --bins --workspace
  bin=${CARGO_TARGET_DIR:-target}/release
fi
work=$(mktemp -d)
trap 'kill -INT "$mock_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

mock_tls=()
scan_tls=()
if [ -n "$tls" ]; then
  mock_tls=(--tls "$tls" --write-ca "$work/ca.pem" --write-client-cert "$work/c.pem" --write-client-key "$work/c.key")
  scan_tls=(--tls on --ca "$work/ca.pem" --client-cert "$work/c.pem" --client-key "$work/c.key")
fi
"$bin/mock-amt" fleet --count "$count" --first "$first" --profiles "$profile" \
  --lockout-threshold 0 "${mock_tls[@]}" >"$work/fleet.out" 2>"$work/fleet.err" &
mock_pid=$!
for _ in $(seq 1 200); do
  [ "$(grep -c '^listening' "$work/fleet.out" || true)" -ge "$count" ] && break
  sleep 0.1
done
[ "$(grep -c '^listening' "$work/fleet.out" || true)" -ge "$count" ] || { cat "$work/fleet.err"; exit 1; }

last=$(python3 -c "import ipaddress,sys; print(ipaddress.IPv4Address('$first') + $count - 1)")
export BENCH_AMT_PASSWORD='P@ssw0rd'
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
mock_cpu_before=$(cpu_of "$mock_pid")
start=$(date +%s.%N)
/usr/bin/time -f '%M %U %S' -o "$work/rss" "${BENCH_SCANNER:-$bin/amtready}" scan "$first-$last" \
  --password-env BENCH_AMT_PASSWORD --format jsonl --concurrency "$concurrency" --no-progress \
  "${scan_tls[@]}" ${BENCH_SCAN_ARGS:-} >"$work/scan.jsonl" || true
end=$(date +%s.%N)

ok=$(grep -c '"status":"ok"' "$work/scan.jsonl" || true)
# The fleet prints its counters on Ctrl-C: connections and TLS handshakes
# per host are the mock's own count, not the scanner's.
# CPU seconds (user + system) each process spent on the scan (the mock's
# start-up, certificates included, left out).
mock_cpu=$(python3 -c "print(f'{$(cpu_of "$mock_pid") - $mock_cpu_before:.2f}')")
kill -INT "$mock_pid"
while kill -0 "$mock_pid" 2>/dev/null; do sleep 0.1; done
stats=$(grep 'mock-amt: stats' "$work/fleet.err" | tail -n 1)
python3 - "$count" "$ok" "$start" "$end" "$(tail -n 1 "$work/rss")" "$profile" "$concurrency" "${tls:-none}" "$stats" "$mock_cpu" <<'PY'
import sys
count, ok, start, end, timed, profile, conc, tls, stats, mock_cpu = sys.argv[1:]
rss_kib, user, system = timed.split()
secs = float(end) - float(start)
print(f"profile={profile} tls={tls} devices={count} concurrency={conc} ok={ok} "
      f"elapsed={secs:.2f}s rate={int(ok)/secs:.0f} full inventories/s peak_rss={int(rss_kib)/1024:.1f} MiB "
      f"cpu_s scanner={float(user) + float(system):.2f} mock={mock_cpu}")
s = dict(kv.split("=", 1) for kv in stats.split() if "=" in kv)
n = int(count)
per = lambda k: f"{int(s.get(k, 0)) / n:.2f}"
print(f"per host (mock counters): requests={per('requests')} connections={per('connections')} "
      f"tls_handshakes={per('tls_handshakes')} (resumed {per('tls_resumed')}) "
      f"refused_or_failed_handshakes={per('tls_failed')}")
PY
