#!/usr/bin/env bash
# Peak memory and time of `amtready report` on a large saved scan, per format.
#
#   bench/report-memory.sh [HOSTS]        # default 65536
#
# Builds the release binary, writes a JSON Lines scan of HOSTS hosts (the
# mixed fleet of tests/fixtures cycled over 10.x.y.z, each with twelve
# trusted-root hashes as a real device lists them), then renders it in every
# format to /dev/null under GNU time and prints wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
hosts="${1:-65536}"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (Debian package: time)"; exit 1; }
cargo build --release --quiet
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
python3 - "$hosts" "$dir/scan.jsonl" <<'PY'
import json, sys
hosts, path = int(sys.argv[1]), sys.argv[2]
base = [json.loads(l) for l in open("tests/fixtures/mixed-fleet.jsonl")]
hashes = [{"instance_id": f"Intel(r) AMT Certificate: Handle: {i}", "name": f"Trusted root {i}",
           "hash_type": "sha256", "hash_hex": f"{i:064x}", "enabled": True, "is_default": True}
          for i in range(12)]
with open(path, "w") as out:
    for i in range(hosts):
        rec = json.loads(json.dumps(base[i % len(base)]))
        rec["target"] = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        if "amt" in rec:
            rec["amt"]["cert_hashes"] = hashes
        out.write(json.dumps(rec) + "\n")
PY
echo "scan: $hosts hosts, $(du -m "$dir/scan.jsonl" | cut -f1) MiB"
for format in table csv junit markdown html json jsonl; do
  # Exit code 1 (hosts not ready) is expected, not an error.
  /usr/bin/time -f "$format: %e s, peak RSS %M KiB" -o "$dir/time.txt" \
    target/release/amtready report "$dir/scan.jsonl" --format "$format" >/dev/null 2>&1 || true
  cat "$dir/time.txt" | grep -v "exited with"
done
