#!/usr/bin/env bash
# Benchmarks B and C: an all-live fleet, and the scanner's memory.
#
#   bench/all-live.sh [COUNT] [PROFILE]      # defaults: 4096 amt-15.0
#
# In a private network namespace it creates itself (unshare -n; needs root):
# B. COUNT live mock devices of PROFILE on 127.80.0.1…; times a full inventory
#    of all of them (with credentials) and a probe-only scan (without), and
#    reads the requests per inventory from the mock's own counters;
# C. peak RSS of the scanner at --concurrency 1000 over COUNT targets and over
#    4×COUNT targets (the extra 3×COUNT addresses dropped by nftables: silent).
# Each line also gives the CPU seconds the scanner and the mock fleet spent
# (user + system): both share the cores, and CPU time is far less sensitive
# than hosts/s to whatever else the machine is doing.
# Never run by CI: the figures go in docs/performance.md.
set -euo pipefail
# No DNS lookups (--no-dns; older binaries ignore the variable): these figures
# measure the scan itself, and bench/dns-path.sh what DNS adds to it.
export AMTREADY_NO_DNS=1
cd "$(dirname "$0")/.."
count=${1:-4096}
profile=${2:-amt-15.0}

if [ -z "${AMTREADY_BENCH_NETNS:-}" ]; then
  command -v nft >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables >/dev/null; }
  # AMTREADY_BENCH_BIN=DIR runs the binaries in DIR instead (old and new
  # trees run alternately, to compare them on one busy machine).
  [ -n "${AMTREADY_BENCH_BIN:-}" ] || cargo build --release --quiet --bins --workspace
  exec env AMTREADY_BENCH_NETNS=1 unshare -n "$0" "$@"
fi

bin=${AMTREADY_BENCH_BIN:-target/release}
ip link set lo up
first=127.80.0.1
addr() { python3 -c "import ipaddress; print(ipaddress.IPv4Address('$first') + $1)"; }
last=$(addr $((count - 1)))
wide_last=$(addr $((4 * count - 1)))
nft -f - <<NFT
table inet bench {
  chain in {
    type filter hook input priority 0;
    ip daddr $(addr "$count")-$wide_last drop
  }
}
NFT
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
trap 'kill -INT "$mock_pid" 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT

start_fleet() {
  "$bin/mock-amt" fleet --count "$count" --first "$first" --profiles "$profile" \
    --lockout-threshold 0 --write-ca "$work/ca.pem" >"$work/fleet.out" 2>"$work/fleet.err" &
  mock_pid=$!
  for _ in $(seq 1 600); do
    [ "$(grep -c '^listening' "$work/fleet.out" || true)" -ge "$count" ] && return
    sleep 0.1
  done
  cat "$work/fleet.err"; exit 1
}
# CPU seconds (user + system) the fleet has used so far.
mock_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$mock_pid/stat"; }
# Stops the fleet (waiting until its addresses are free) and sets $requests
# to the total it answered, from its own counters.
stop_fleet() {
  kill -INT "$mock_pid"
  while kill -0 "$mock_pid" 2>/dev/null; do sleep 0.2; done
  requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$work/fleet.err" | tail -n 1)
}

export BENCH_AMT_PASSWORD='P@ssw0rd'
run() { # name, targets..., args...: prints "elapsed_s peak_rss_mib ok scan_cpu_s mock_cpu_s"
  local name=$1; shift
  local start end mock_before mock_after
  mock_before=$(mock_cpu)
  start=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$work/$name.rss" "$bin/amtready" scan "$@" \
    --ca "$work/ca.pem" --format jsonl --no-progress >"$work/$name.jsonl" 2>"$work/$name.err" || true
  end=$(date +%s.%N)
  mock_after=$(mock_cpu)
  # Anything not read is shown, never hidden in a rate.
  grep -v '"status":"ok"' "$work/$name.jsonl" | head -n 3 | cut -c1-300 >&2 || true
  python3 -c "
rss, user, system = open('$work/$name.rss').read().split()[-3:]
print(f'{$end - $start:.2f}', f'{int(rss) / 1024:.1f}', sum('\"status\":\"ok\"' in l for l in open('$work/$name.jsonl')),
      f'{float(user) + float(system):.2f}', f'{$mock_after - $mock_before:.2f}')"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start_fleet
read -r s rss ok scpu mcpu < <(run full "$first-$last" --password-env BENCH_AMT_PASSWORD --no-rules --concurrency 512 --rate 0)
stop_fleet
echo "B full inventory: $ok/$count ok in $s s = $(python3 -c "print(round($ok/$s))") hosts/s; $(python3 -c "print(round($requests/$count, 2))") requests per inventory (mock counters: $requests); peak RSS $rss MiB; CPU s: scanner $scpu, mock $mcpu"

start_fleet
read -r s rss ok scpu mcpu < <(run probe "$first-$last" --no-rules --concurrency 1024 --rate 0)
stop_fleet
echo "B probe only: $ok/$count ok in $s s = $(python3 -c "print(round($ok/$s))") hosts/s; peak RSS $rss MiB; CPU s: scanner $scpu, mock $mcpu"

start_fleet
read -r s rss ok scpu mcpu < <(run c1 "$first-$last" --password-env BENCH_AMT_PASSWORD --concurrency 1000 --rate 0)
echo "C --concurrency 1000, $count targets: $s s, peak RSS $rss MiB ($ok ok); CPU s: scanner $scpu, mock $mcpu"
read -r s rss4 ok scpu mcpu < <(run c4 "$first-$wide_last" --password-env BENCH_AMT_PASSWORD --concurrency 1000 --rate 0 --max-rtt 0.5)
echo "C --concurrency 1000, $((4 * count)) targets ($((3 * count)) silent): $s s, peak RSS $rss4 MiB ($ok ok); ratio $(python3 -c "print(round($rss4/$rss, 2))"); CPU s: scanner $scpu, mock $mcpu"
stop_fleet
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
