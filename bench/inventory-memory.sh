#!/usr/bin/env bash
# Peak memory and time of loading a large inventory export (`--host-facts`).
#
#   bench/inventory-memory.sh [MACHINES...]   # default 10000 100000 1000000 2000000 2800000
#   AMTREADY=path/to/amtready bench/inventory-memory.sh ...   # another build
#   SHAPE=names|dual bench/inventory-memory.sh 3500000      # the worst shapes
#   SHAPE=one bench/inventory-memory.sh 1000000             # one computer, N addresses
#   SHAPE=amt bench/inventory-memory.sh 1000000             # with the AMT columns
#
# Writes Configuration Manager style CSV exports (Netbios_Name0,
# IP_Addresses0, Caption0, CSDVersion0, SystemType0, rras_running; one row
# per computer, every computer distinct, about 90 bytes a row; SHAPE=names:
# the computer's name alone, the most computers a byte; SHAPE=dual: name,
# an IPv4 and an IPv6 address, the most addresses a byte; SHAPE=one: one
# computer on every row, each row another address; SHAPE=amt: the README's
# Dark vPro machines query, v_R_System's AMTStatus0/AMTFullVersion0 and
# v_GS_AMT_AGENT's columns beside the name and address, every computer
# with AMT, about 100 bytes a row) into a temp dir,
# then runs `amtready report --host-facts EXPORT saved.jsonl` on a
# one-record saved scan under GNU time and prints size, rows, wall time and
# peak RSS. Exports past the file cap are refused; the table says so.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (Debian package: time)"; exit 1; }
bin="${AMTREADY:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin amtready
  bin="${CARGO_TARGET_DIR:-target}/release/amtready"
fi
[ "$#" -gt 0 ] || set -- 10000 100000 1000000 2000000 2800000
shape="${SHAPE:-cm}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
echo '{"target": "10.0.0.1", "status": "ok", "amt": {"version": "5.2.10.1023", "hostname": "pc-0000001"}}' >"$dir/saved.jsonl"
echo "shape: $shape"
printf '%-10s %9s %8s %12s  %s\n' rows MiB seconds "peak RSS MiB" result
for n in "$@"; do
  python3 - "$n" "$dir/inv.csv" "$shape" <<'PY'
import sys
n, path, shape = int(sys.argv[1]), sys.argv[2], sys.argv[3]
oses = [("Microsoft Windows XP Professional", "Service Pack 3", "X86-based PC"),
        ("Microsoft Windows 7 Enterprise", "Service Pack 1", "x64-based PC"),
        ("Microsoft Windows Vista Business", "Service Pack 2", "X86-based PC"),
        ("Microsoft Windows Server 2008 Enterprise", "Service Pack 2", "x64-based PC")]
with open(path, "w", buffering=1 << 20) as out:
    if shape == "names":
        out.write("Netbios_Name0\n")
        for i in range(n):
            out.write(f"PC-{i:07d}\n")
        sys.exit(0)
    if shape == "one":
        out.write("Netbios_Name0,IP_Addresses0\n")
        for i in range(n):
            out.write(f"PC-1,10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\n")
        sys.exit(0)
    if shape == "amt":
        versions = [("5.2.10", "1023", 2), ("6.0.3", "1234", 3), ("7.1.91", "3272", 3), ("4.0.3", "1123", 2)]
        out.write("Netbios_Name0,IP_Addresses0,AMTStatus0,AMTFullVersion0,AMT0,BuildNumber0,ProvisionState0,ProvisionMode0,ZTCEnabled0,TLSMode0,Sku0\n")
        for i in range(n):
            v, b, st = versions[i % len(versions)]
            out.write(f"PC-{i:07d},10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255},{st},{v},{v},{b},{0 if st == 2 else 2},1,1,0,16392\n")
        sys.exit(0)
    if shape == "dual":
        out.write("Netbios_Name0,IP_Addresses0\n")
        for i in range(n):
            out.write(f"PC-{i:07d},\"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}, fe80::{(i >> 16) & 0xffff:x}:{i & 0xffff:x}\"\n")
        sys.exit(0)
    out.write("Netbios_Name0,IP_Addresses0,Caption0,CSDVersion0,SystemType0,rras_running\n")
    for i in range(n):
        cap, sp, arch = oses[i % len(oses)]
        out.write(f"PC-{i:07d},10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255},{cap},{sp},{arch},{'true' if i % 50 == 0 else 'false'}\n")
PY
  mib=$(( $(stat -c %s "$dir/inv.csv") / 1048576 ))
  # Exit code 1 (hosts not ready) is expected; only the load matters here.
  rc=0
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" \
    "$bin" report --host-facts "$dir/inv.csv" "$dir/saved.jsonl" >/dev/null 2>"$dir/err.txt" || rc=$?
  read -r secs kib < <(grep -v "exited with\|terminated by" "$dir/time.txt" | tail -1)
  result="rc $rc"
  if grep -q "larger than" "$dir/err.txt"; then result="refused: over the file cap"
  elif grep -q "computer(s) from the inventory" "$dir/err.txt"; then
    result="rc $rc, $(grep -o '[0-9]* computer(s)' "$dir/err.txt" | head -1) loaded"
  else result="rc $rc: $(head -c 80 "$dir/err.txt" | tr '\n' ' ')"
  fi
  printf '%-10s %9s %8s %12s  %s\n' "$n" "$mib" "$secs" "$(( kib / 1024 ))" "$result"
  rm -f "$dir/inv.csv"
done
