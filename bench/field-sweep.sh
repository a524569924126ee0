#!/usr/bin/env bash
# Benchmark A: a field sweep of a /16, as a real subnet is: mostly silent.
#
#   bench/field-sweep.sh [RATE]            # RATE default 20000 (--rate)
#
# In a private network namespace it creates itself (unshare -n; needs root),
# starts 4,096 mixed mock devices on 127.79.0.1-127.79.16.0 (port 16992 and
# RMCP on UDP 623), drops everything sent to the rest of 127.79.0.0/16 with
# nftables (61,440 silent addresses), then times, in the same namespace:
#   1. amtready scan 127.79.0.0/16 with credentials and --rate RATE (full inventory);
#   2. the same with default settings;
#   3. nmap -sS -T4 --min-rate 5000 --max-retries 1 -p16992,16993 (a bare port sweep);
# and checks every live device against the fleet manifest (0 missed).
# Never run by CI: the figures go in docs/performance.md.
set -euo pipefail
# No DNS lookups (--no-dns; older binaries ignore the variable): these figures
# measure the scan itself, and bench/dns-path.sh what DNS adds to it.
export AMTREADY_NO_DNS=1
cd "$(dirname "$0")/.."
rate=${1:-20000}

if [ -z "${AMTREADY_BENCH_NETNS:-}" ]; then
  command -v nft >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables >/dev/null; }
  command -v nmap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nmap >/dev/null; }
  # AMTREADY_BENCH_BIN=DIR runs the binaries in DIR instead (old and new
  # trees run alternately, to compare them on one busy machine).
  [ -n "${AMTREADY_BENCH_BIN:-}" ] || cargo build --release --quiet --bins --workspace
  exec env AMTREADY_BENCH_NETNS=1 unshare -n "$0" "$@"
fi

bin=${AMTREADY_BENCH_BIN:-target/release}
ip link set lo up
nft -f - <<'NFT'
table inet field {
  chain in {
    type filter hook input priority 0;
    ip daddr 127.79.16.1-127.79.255.255 drop
  }
}
NFT
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
trap 'kill -INT "$mock_pid" 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT

profiles=amt-2.6,amt-3.2.1,amt-4.2,amt-5.2.10,amt-6.2,amt-7.1,amt-8.1,amt-11.8,amt-15.0,amt-16.1
"$bin/mock-amt" fleet --count 4096 --first 127.79.0.1 --profiles "$profiles" \
  --lockout-threshold 0 --write-ca "$work/ca.pem" --manifest "$work/manifest.jsonl" >"$work/fleet.out" 2>"$work/fleet.err" &
mock_pid=$!
for _ in $(seq 1 600); do
  [ "$(grep -c '^listening' "$work/fleet.out" || true)" -ge 4096 ] && break
  sleep 0.1
done
[ "$(grep -c '^listening' "$work/fleet.out" || true)" -ge 4096 ] || { cat "$work/fleet.err"; exit 1; }

export BENCH_AMT_PASSWORD='P@ssw0rd'
# Runs amtready, printing elapsed seconds and peak RSS (KiB) to $work/$1.time.
timed_scan() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/$name.rss" "$bin/amtready" scan 127.79.0.0/16 \
    --password-env BENCH_AMT_PASSWORD --ca "$work/ca.pem" --format jsonl --no-progress --no-rules "$@" \
    >"$work/$name.jsonl" 2>"$work/$name.err" || true
  end=$(date +%s.%N)
  echo "$start $end $(tail -n 1 "$work/$name.rss")" >"$work/$name.time"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load before: $(load)"
timed_scan fast --rate "$rate"
echo "load after fast scan: $(load)"
timed_scan default
start=$(date +%s.%N)
nmap -sS -T4 --min-rate 5000 --max-retries 1 -n -p16992,16993 -oG "$work/nmap.gnmap" 127.79.0.0/16 >/dev/null 2>&1 || true
end=$(date +%s.%N)
echo "$start $end" >"$work/nmap.time"

python3 - "$work" "$rate" <<'PY'
import json, sys
work, rate = sys.argv[1:]
manifest = [json.loads(l) for l in open(f"{work}/manifest.jsonl")]
live = {m["address"] for m in manifest if m["fault"] is None}
def secs(name):
    t = open(f"{work}/{name}.time").read().split()
    return float(t[1]) - float(t[0]), (int(t[2]) / 1024 if len(t) > 2 else None)
def check(name):
    recs = [json.loads(l) for l in open(f"{work}/{name}.jsonl")]
    ok = {r["target"] for r in recs if r["status"] == "ok"}
    read = {r["target"] for r in recs}
    return len(recs), len(ok & live), len(live - read)
nmap_open = set()
for line in open(f"{work}/nmap.gnmap"):
    if "Ports:" in line and "/open/" in line:
        nmap_open.add(line.split()[1])
nmap_s, _ = secs("nmap")
for name, label in (("fast", f"--rate {rate}"), ("default", "defaults")):
    s, rss = secs(name)
    n, ok, missed = check(name)
    print(f"amtready {label}: {s:.1f} s, {n} devices listed, {ok}/{len(live)} fully read, "
          f"{missed} missed, peak RSS {rss:.1f} MiB; nmap/amtready = {nmap_s / s:.2f}")
print(f"nmap -sS -T4 --min-rate 5000 --max-retries 1: {nmap_s:.1f} s, "
      f"{len(nmap_open & live)}/{len(live)} live devices found, {len(live - nmap_open)} missed")
PY
