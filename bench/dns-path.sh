#!/usr/bin/env bash
# Benchmark: what the provisioning path's DNS lookups add to a large scan.
#
#   bench/dns-path.sh [ROUNDS]            # ROUNDS default 2
#
# In a private network namespace it creates itself (unshare -n; needs root):
# 10.79.0.0/16 is made local on lo (so no address is loopback, whose reverse
# lookups a resolver answers itself), 4,096 mixed mock devices listen on
# 10.79.0.1-10.79.16.0, nftables drops the rest of the /16 (61,440 silent
# addresses), and an authoritative DNS server (bench/dns_zone.rs, hickory-
# server) on 127.0.0.1:5353 serves corp.example.com (ProvisionServer, the
# devices' host names) and 79.10.in-addr.arpa (a PTR record per device).
# Then it times `amtready scan 10.79.0.0/16 --rate 20000` with --no-dns and
# with --dns-server 127.0.0.1:5353, and with a DNS server that drops every
# query, alternated ROUNDS times, and counts the lookups the runs recorded. Never run by CI: figures go in
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
target=${AMTREADY_BENCH_TARGET:-target/bench}
# The DNS runs name --dns-server; a --no-dns from the environment would clash.
unset AMTREADY_NO_DNS

if [ -z "${AMTREADY_BENCH_NETNS:-}" ]; then
  command -v nft >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables >/dev/null; }
  # A target dir of its own: a release build does not wait on (or for) the
  # debug one.
  CARGO_TARGET_DIR=$target cargo build --release --quiet --bins --workspace --example dns_zone
  exec env AMTREADY_BENCH_NETNS=1 unshare -n "$0" "$@"
fi

bin=$target/release
ip link set lo up
ip route add local 10.79.0.0/16 dev lo
nft -f - <<'NFT'
table inet field {
  chain in {
    type filter hook input priority 0;
    ip daddr 10.79.16.1-10.79.255.255 drop
  }
}
NFT
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
mock_pid= dns_pid=
trap 'kill -INT "$mock_pid" "$dns_pid" 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT

profiles=amt-2.6,amt-3.2.1,amt-4.2,amt-5.2.10,amt-6.2,amt-7.1,amt-8.1,amt-11.8,amt-15.0,amt-16.1
"$bin/mock-amt" fleet --count 4096 --first 10.79.0.1 --allow-non-loopback --numbered-hostnames --profiles "$profiles" \
  --lockout-threshold 0 --write-ca "$work/ca.pem" --manifest "$work/manifest.jsonl" >"$work/fleet.out" 2>"$work/fleet.err" &
mock_pid=$!

for _ in $(seq 1 600); do
  [ "$(grep -c '^listening' "$work/fleet.out" || true)" -ge 4096 ] && break
  sleep 0.1
done
[ "$(grep -c '^listening' "$work/fleet.out" || true)" -ge 4096 ] || { cat "$work/fleet.err"; exit 1; }
# The zones, from the fleet's truth: each device's own host record and PTR,
# ProvisionServer as an alias of the service point.
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
soa = "@ 3600 IN SOA ns.corp.example.com. hostmaster.corp.example.com. 1 3600 600 86400 60\n@ 3600 IN NS ns.corp.example.com.\n"
devices = [json.loads(l) for l in open(f"{work}/manifest.jsonl")]
with open(f"{work}/corp.zone", "w") as z:
    z.write(soa + "ns 3600 IN A 127.0.0.1\noobsp 3600 IN A 10.79.255.250\nProvisionServer 3600 IN CNAME oobsp\n")
    for d in devices:
        z.write(f"{d['hostname']} 3600 IN A {d['address']}\n")
with open(f"{work}/reverse.zone", "w") as z:
    z.write(soa)
    for d in devices:
        a, b, c, e = d["address"].split(".")
        z.write(f"{e}.{c} 3600 IN PTR {d['hostname']}.{d['domain']}.\n")
PY
"$bin/examples/dns_zone" 127.0.0.1:5353 "corp.example.com.=$work/corp.zone" \
  "79.10.in-addr.arpa.=$work/reverse.zone" >"$work/dns.out" 2>"$work/dns.err" &
dns_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening' "$work/dns.out" && break
  sleep 0.1
done
grep -q '^listening' "$work/dns.out" || { cat "$work/dns.err"; exit 1; }
printf 'service_point_fqdn = "oobsp.corp.example.com"\n' >"$work/site.toml"

export BENCH_AMT_PASSWORD='P@ssw0rd'
timed_scan() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/$name.rss" "$bin/amtready" scan 10.79.0.0/16 \
    --password-env BENCH_AMT_PASSWORD --ca "$work/ca.pem" --format jsonl --no-progress \
    --rate 20000 --site "$work/site.toml" "$@" >"$work/$name.jsonl" 2>"$work/$name.err" || true
  end=$(date +%s.%N)
  echo "$start $end $(tail -n 1 "$work/$name.rss")" >"$work/$name.time"
}

names=()
for r in $(seq 1 "$rounds"); do
  timed_scan "nodns-$r" --no-dns
  timed_scan "dns-$r" --dns-server 127.0.0.1:5353
  # A server whose address drops every query (in the nftables drop range).
  timed_scan "dropped-$r" --dns-server 10.79.255.53
  names+=("nodns-$r" "dns-$r" "dropped-$r")
done

python3 - "$work" "${names[@]}" <<'PY'
import json, sys
work, names = sys.argv[1], sys.argv[2:]
for name in names:
    t = open(f"{work}/{name}.time").read().split()
    secs, rss = float(t[1]) - float(t[0]), int(t[2]) / 1024
    recs = [json.loads(l) for l in open(f"{work}/{name}.jsonl")]
    hosts = [r for r in recs if r.get("kind") != "site"]
    ok = sum(1 for r in hosts if r.get("status") == "ok")
    answers = {}
    with_dns = 0
    for r in hosts:
        dns = r.get("dns")
        if not dns:
            continue
        with_dns += 1
        for key in ("provision_server", "amt_fqdn", "reverse", "certificate_name"):
            if key in dns:
                a = dns[key]["answer"]
                answers[a] = answers.get(a, 0) + 1
    print(f"{name}: {secs:.1f} s, peak RSS {rss:.1f} MiB, {len(hosts)} devices, {ok} read, "
          f"{with_dns} with DNS facts, lookups recorded {sum(answers.values())} {answers}")
PY
