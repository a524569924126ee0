#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ through cargo-afl, on stable Rust.
# Never run by CI (CI replays fuzz/corpus in `cargo test --workspace`).
#
#   fuzz/afl.sh [SECONDS] [TARGET...]    default: 180 s for every target
#
# Needs `cargo install cargo-afl` (which builds AFL++ on first use; rebuild
# with `cargo afl config --build --force` after a rustc upgrade). Builds the
# instrumented driver in target/afl (its own target dir, so the ordinary
# build's cache is untouched), runs each target for SECONDS, then prints
# executions, coverage, corpus growth and crashes per target. Findings land
# in target/afl/out/TARGET/default/{queue,crashes}; a crash is replayed with
# `target/afl/release/amtready-fuzz TARGET < FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-180}
shift || true
if (($#)); then
  targets=("$@")
else
  mapfile -t targets < <(find fuzz/corpus -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
fi

command -v cargo-afl >/dev/null || { echo "cargo-afl missing: cargo install cargo-afl" >&2; exit 2; }
CARGO_TARGET_DIR=target/afl cargo afl build --release -p amtready-fuzz --features afl
driver=target/afl/release/amtready-fuzz

# A shared build machine: no CPU pinning, no frequency checks; AFL++ refuses
# to start when core dumps go to a helper unless told crashes are still seen
# (they are: the driver aborts on a failed property).
export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1

printf '%-14s %10s %8s %8s %8s %8s\n' target execs exec/s seeds corpus crashes
for t in "${targets[@]}"; do
  out=target/afl/out/$t
  rm -rf "$out"
  mkdir -p "$out"
  cargo afl fuzz -i "fuzz/corpus/$t" -o "$out" -V "$seconds" -- "$driver" "$t" >"$out.log" 2>&1 || {
    echo "$t: afl-fuzz failed, see $out.log" >&2
    continue
  }
  stats=$out/default/fuzzer_stats
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  printf '%-14s %10s %8s %8s %8s %8s  bitmap %s\n' "$t" "$(get execs_done)" "$(get execs_per_sec)" \
    "$(find "fuzz/corpus/$t" -type f | wc -l)" "$(get corpus_count)" "$(get saved_crashes)" "$(get bitmap_cvg)"
done
