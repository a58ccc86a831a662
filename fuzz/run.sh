#!/usr/bin/env bash
# Runs the fuzz targets under AFL++ (cargo-afl), one after the other, and fails if any
# target crashed or hung for real.
#
#   fuzz/run.sh SECONDS [TARGET...]     every target when none is named
#
# Builds the instrumented binary first (target/afl, its own target dir: the instrumentation
# flags would otherwise rebuild the normal one). Each target starts from its committed
# corpus (fuzz/corpus/TARGET) and writes to target/afl/out/TARGET (queue, crashes, hangs,
# fuzzer_stats), replaced on each run. Prints one line per target: executions, paths in the
# queue, crashes, hangs. A crash's input and panic message are printed; replay it with a
# backtrace by `cargo run -p hcpool-fuzz -- TARGET FILE`. Needs `cargo install cargo-afl`
# (.ci/run installs it). FUZZ_NICE (default 10) is the fuzzer's nice level.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=(address xpub tx script votebits poolconf stakepooldconf jsonrpc grpc jwt form)
fi

# Instrumented code at opt-level 1 with parallel codegen: a fraction of cargo-afl's default
# (-O3, one codegen unit) build time, and fast enough for these parsers.
export AFL_OPT_LEVEL="${AFL_OPT_LEVEL:-1}"
export RUSTFLAGS="${RUSTFLAGS:--C codegen-units=8}"
export CARGO_INCREMENTAL=0
started=$(date +%s)
cargo afl build --release -p hcpool-fuzz --target-dir target/afl
echo "fuzz: instrumented build took $(($(date +%s) - started)) s"
bin=target/afl/release/hcpool-fuzz

# A machine that was not set up for AFL++ (core dumps piped to a handler, a CPU governor,
# other processes on the cores) still runs: these only cost some speed.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_NO_UI=1 AFL_FAST_CAL=1 AFL_QUIET=1

stat() { awk -F': *' -v k="$1" '$1 ~ "^"k" *$" {print $2}' "$2"; }
failed=()
for t in "${targets[@]}"; do
  [ -d "fuzz/corpus/$t" ] || { echo "fuzz: no corpus for target $t"; exit 2; }
  out="target/afl/out/$t"
  rm -rf "$out"
  mkdir -p "$out"
  # -V: stop after SECONDS; -t: 2 s per input before it counts as a hang (the inputs run
  # in microseconds; a loaded machine gets a wide margin).
  if ! timeout $((secs + 120)) nice -n "${FUZZ_NICE:-10}" cargo afl fuzz -V "$secs" -t 2000 \
    -i "fuzz/corpus/$t" -o "$out" -- "$bin" "$t" >"$out/afl.log" 2>&1; then
    tail -n 30 "$out/afl.log"
    echo "fuzz: afl-fuzz failed on target $t"
    failed+=("$t")
    continue
  fi
  stats="$out/default/fuzzer_stats"
  crashes=$(stat saved_crashes "$stats")
  hangs=$(stat saved_hangs "$stats")
  printf 'fuzz: %-15s %10s execs %6s paths %3s crashes %3s hangs (%s exec/s)\n' "$t" \
    "$(stat execs_done "$stats")" "$(stat corpus_count "$stats")" "$crashes" "$hangs" \
    "$(stat execs_per_sec "$stats")"
  for f in "$out"/default/crashes/id:*; do
    [ -e "$f" ] || continue
    echo "--- crash input $f:"
    head -c 512 "$f" | od -A d -c | head -n 20
    "$bin" "$t" <"$f" 2>&1 | head -n 20 || true
    failed+=("$t")
  done
  # A hang under load may be the machine: it counts when the input alone takes over 10 s.
  for f in "$out"/default/hangs/id:*; do
    [ -e "$f" ] || continue
    if ! timeout 10 "$bin" "$t" <"$f" >/dev/null 2>&1; then
      echo "--- hang input $f (over 10 s alone)"
      failed+=("$t")
    fi
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${secs} s each: no crash, no hang"
