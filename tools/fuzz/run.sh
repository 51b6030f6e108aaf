#!/usr/bin/env bash
# Runs the libFuzzer targets of tools/fuzz/ (built by `make fuzz` in BUILD_DIR/bin).
#   tools/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]   (targets: quantity config scenario study)
# SECONDS is shared equally by the targets; FUZZ_RUNS=N runs each for N executions instead.
# FUZZ_TIMEOUT=S (default 10) is the wall time one input may take: raise it for a run that
# shares a busy machine, where a starved process can pass 10 s on an input of 0.4 s CPU.
# The corpora start from seeds made from tests/fixtures (and tools/fuzz/seeds/study/) and
# grow in BUILD_DIR/fuzz/corpus/<target>; a crash, a sanitizer report, a timeout (10 s, FUZZ_TIMEOUT) or an
# input over 2 GiB of memory is written to BUILD_DIR/fuzz/artifacts/ and the script exits non-zero.
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=$2
shift 2
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(quantity config scenario study)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/fuzz
mkdir -p "$work/artifacts"

seeds() {  # target -> its seed folder, made afresh from the fixtures
  local t=$1 dir=$work/seeds/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  case $t in
    quantity)
      # Every scalar after "key: " in the fixtures and shipped scenarios, with a first byte
      # that picks the expected dimension (fuzz_quantity.cpp).
      /usr/bin/python3 - "$root" "$dir" <<'PY'
import pathlib, re, sys
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
values = set()
for f in list((root / "tests/fixtures").rglob("*.yaml")) + list((root / "scenarios").rglob("*.yaml")):
    for line in f.read_text(errors="replace").splitlines():
        m = re.match(r"\s*[-\w.]+:\s+([^#\[{]+?)\s*(#.*)?$", line)
        if m and m.group(1):
            values.add(m.group(1).strip("'\""))
values |= {"1 /s:64 /s:7", "log:1 /s:64 /s:7", "2 /s,4 /s,8 /s", "16,64", "45 degC", "5 K"}
for i, v in enumerate(sorted(values)):
    (out / f"{i:05d}").write_bytes(bytes([i % 16]) + v.encode())
PY
      ;;
    config|scenario)
      find "$root/tests/fixtures" "$root/scenarios" -name '*.yaml' | while read -r f; do
        cp "$f" "$dir/$(echo "${f#"$root"/}" | tr / _)"
      done
      ;;
    study)
      cp "$root"/tools/fuzz/seeds/study/*.yaml "$dir/"
      ;;
  esac
  echo "$dir"
}

status=0
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t
  mkdir -p "$corpus"
  seed_dir=$(seeds "$t")
  limit=(-max_total_time=$(( seconds / ${#targets[@]} > 0 ? seconds / ${#targets[@]} : 1 )))
  [ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
  flags=()
  [ -f "$root/tools/fuzz/$t.dict" ] && flags=(-dict="$root/tools/fuzz/$t.dict")
  # Short inputs run faster and reach the same code (the catalogs seed at up to 21 KB).
  flags+=(-max_len=4096)
  echo "fuzz_$t: ${limit[*]}, log in $work/$t.log"
  if ! (cd "$work" && "$build/bin/fuzz_$t" "${limit[@]}" "${flags[@]}" -timeout="${FUZZ_TIMEOUT:-10}" \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" \
        "$corpus" "$seed_dir" >"$work/$t.log" 2>&1); then
    echo "fuzz_$t: FAILED (see $work/$t.log and $work/artifacts/)"
    tail -30 "$work/$t.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec" "$work/$t.log" | sed "s/^/fuzz_$t: /"
done
exit $status
