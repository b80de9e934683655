#!/usr/bin/env bash
# Regenerates the paper-style tables and figures (README, "Reproducing the paper") from the
# shipped scenarios in scenarios/paper/: on Fashion-MNIST always, on real MNIST and CIFAR-10
# when their files are given. For each data set, in OUT/<data set>/:
#   1. bench.json, poison/*.h5   `poisonsim bench attacks` on the direct scenario's data, target
#                                and guard: generation rate, accuracy after poison-alone
#                                retraining and the guard's offline detection for every method
#                                (the direct method with both engines: autograd, the paper's
#                                cost, and factored where the target is an MLP);
#   2. runs/*.h5 (+ .json)       the continual deployment: no attacker, direct, generative, each
#                                undefended and behind the loss guard + validation gate, as
#                                sweeps over --seeds seeds (.json: their means with 95%
#                                confidence intervals, `poisonsim inspect --mean-over seed`);
#                                traces/*.h5 holds each one's first-seed trace for the figures;
#   3. thresholds.h5             a sweep of the guard's threshold under the generative attack,
#                                over the same seeds;
#   4. report/index.html         `poisonsim report` on all of the above (the clean run as the
#                                reference on every accuracy figure; each figure also as SVG
#                                and PDF);
#   5. table.md                  the tables (python/scripts/paper_table.py); OUT/table.md has all.
# Every step is an ordinary poisonsim command, printed before it runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

usage() {
  cat <<EOF
usage: tools/scripts/paper.sh [-o OUT] [--mnist DIR] [--cifar10 DIR] [--quick] [--seeds N]
                      [--set KEY=VALUE ...] [--deployments-only] [--poisonsim BIN]

  -o, --output OUT   output directory (default: runs/paper); existing results are replaced
  --mnist DIR        also run on real MNIST: DIR holds the four IDX files (raw or .gz)
  --cifar10 DIR      also run on CIFAR-10: DIR holds data_batch_1.bin .. 5 and test_batch.bin
  --quick            small sizes (40 poisoned samples per method, 120 s runs, 3 thresholds,
                     2 seeds): checks the chain in a few minutes; the numbers are not the paper's
  --seeds N          seeds per continual deployment and threshold, and retraining shuffles
                     per attack (default 5; 2 with --quick); tables give means with 95%
                     confidence intervals over them
  --set KEY=VALUE    override a value in every scenario (repeatable), e.g. --set seed=2
  --deployments-only only step 2 and its table (the continual deployments), e.g. to compare
                     retraining policies: --deployments-only --set retrain.start=base
  --poisonsim BIN    the poisonsim binary (default: build/poisonsim)
  -h, --help         this text

The full run on Fashion-MNIST takes about 40 minutes on 2 cores (bench attacks: ~10).
EOF
}

die_usage() {
  echo "error: $*" >&2
  echo "(tools/scripts/paper.sh --help for the options)" >&2
  exit 2
}

out=runs/paper
mnist=
cifar10=
quick=0
seeds=
deployments_only=0
user_sets=()
poisonsim="$root/build/poisonsim"
while [ $# -gt 0 ]; do
  case "$1" in
    -o | --output) [ $# -ge 2 ] || die_usage "$1 needs a directory"; out=$2; shift 2 ;;
    --mnist) [ $# -ge 2 ] || die_usage "$1 needs a directory"; mnist=$2; shift 2 ;;
    --cifar10) [ $# -ge 2 ] || die_usage "$1 needs a directory"; cifar10=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --deployments-only) deployments_only=1; shift ;;
    --seeds)
      [ $# -ge 2 ] || die_usage "$1 needs a number"
      [[ $2 =~ ^[1-9][0-9]*$ ]] || die_usage "--seeds: expected a positive integer, got '$2'"
      seeds=$2; shift 2 ;;
    --set) [ $# -ge 2 ] || die_usage "$1 needs KEY=VALUE"; user_sets+=(--set "$2"); shift 2 ;;
    --poisonsim) [ $# -ge 2 ] || die_usage "$1 needs a path"; poisonsim=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

[ -x "$poisonsim" ] || die_usage "$poisonsim: no poisonsim binary (build it: tools/scripts/build.sh)"
for dir in "$mnist" "$cifar10"; do
  [ -z "$dir" ] || [ -d "$dir" ] || die_usage "$dir: no such directory"
done

step() {
  echo "+ $*" >&2
  "$@"
}

# Sizes: the full set is what docs/results.md's tables were made with.
if [ "$quick" = 1 ]; then
  seeds=${seeds:-2}
  bench_sizes=(--n 40 --group-sizes 10,1 --retrain-seeds "$seeds")
  cifar_bench_sizes=(--n 10 --group-sizes 10,1 --retrain-seeds "$seeds")
  run_sets=(--set duration=120)
  thresholds=1:4:log3
  sweep_sets=(--set duration=120)
else
  seeds=${seeds:-5}
  bench_sizes=(--n 1000 --group-sizes 100,10,1 --retrain-seeds "$seeds")
  # On the CNN one direct ascent problem (a group) takes ~30 s on 2 cores whatever its size
  # (the second-order pass over the clean-validation set dominates): 50 samples at group
  # sizes 50, 10, 1 are 56 problems, about 30 minutes.
  cifar_bench_sizes=(--n 50 --group-sizes 50,10,1 --retrain-seeds "$seeds")
  run_sets=()
  thresholds=0.5:8:log8
  sweep_sets=(--set duration=300)
fi

# paper_on NAME DIRECT_SCENARIO GENERATIVE_SCENARIO [--set data...]
paper_on() {
  local name=$1 direct=$2 generative=$3
  shift 3
  local data_sets=("$@")
  local dir="$out/$name"
  local sizes=("${bench_sizes[@]}")
  [ "$name" = cifar10 ] && sizes=("${cifar_bench_sizes[@]}")
  echo "== $name -> $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir/runs" "$dir/traces"

  [ "$deployments_only" = 1 ] ||
    step "$poisonsim" bench attacks --scenario "$direct" "${data_sets[@]}" "${sizes[@]}" \
      --poison-dir "$dir/poison" --json "$dir/bench.json" | tee "$dir/bench.txt"

  local undefended=(--set 'guard={type: none}' --set 'gate={type: none}')
  local attacker scenario defense
  for attacker in none direct generative; do
    scenario=$direct
    [ "$attacker" = generative ] && scenario=$generative
    local attacker_sets=()
    [ "$attacker" = none ] && attacker_sets=(--set 'attackers=[]')
    for defense in undefended defended; do
      local defense_sets=()
      [ "$defense" = undefended ] && defense_sets=("${undefended[@]}")
      local run="$dir/runs/$attacker-$defense"
      step "$poisonsim" sweep "$scenario" --quiet --force --seeds "$seeds" --keep-parts \
        -o "$run.h5" "${data_sets[@]}" "${run_sets[@]}" "${attacker_sets[@]}" \
        "${defense_sets[@]}" >"$run.txt"
      "$poisonsim" inspect "$run.h5" --mean-over seed --json "$run.json" >/dev/null
      # The seed axis is the only one: run 0 is the first seed's complete trace.
      mv "$run.h5.parts/run-0.h5" "$dir/traces/$attacker-$defense.h5"
      rm -rf "$run.h5.parts"
    done
  done

  if [ "$deployments_only" = 1 ]; then
    step /usr/bin/python3 "$root/python/scripts/paper_table.py" "$dir" --title "$name" \
      --deployments-only >"$dir/table.md"
    return
  fi

  step "$poisonsim" sweep "$generative" --quiet --force -o "$dir/thresholds.h5" \
    --param "guard.threshold=$thresholds" --seeds "$seeds" "${data_sets[@]}" "${sweep_sets[@]}"

  step "$poisonsim" report "$dir/traces/direct-defended.h5" \
    "$dir/traces/generative-defended.h5" "$dir/traces/generative-undefended.h5" \
    "$dir/thresholds.h5" --baseline "$dir/traces/none-undefended.h5" --format png,svg,pdf \
    "$dir"/poison/*.h5 \
    --json "$dir/bench.json" --title "poisonsim: the paper's results on $name" -o "$dir/report"

  step /usr/bin/python3 "$root/python/scripts/paper_table.py" "$dir" --title "$name" \
    >"$dir/table.md"
}

# One entry per data set, fields split by '|': name, direct scenario, generative scenario, then
# the --set values that select its data.
paper=$root/scenarios/paper
data_sets=("fashion-mnist|$paper/fashion-mnist-direct.yaml|$paper/fashion-mnist-generative.yaml")
[ -z "$mnist" ] ||
  data_sets+=("mnist|$paper/fashion-mnist-direct.yaml|$paper/fashion-mnist-generative.yaml|data.kind=mnist|data.path=$mnist")
[ -z "$cifar10" ] ||
  data_sets+=("cifar10|$paper/cifar10-direct.yaml|$paper/cifar10-generative.yaml|data.path=$cifar10")

# Sets name, direct, generative and sets (the --set arguments) from one entry.
read_entry() {
  local fields setting
  IFS='|' read -r -a fields <<<"$1"
  name=${fields[0]} direct=${fields[1]} generative=${fields[2]}
  sets=()
  for setting in "${fields[@]:3}"; do sets+=(--set "$setting"); done
  sets+=("${user_sets[@]}")
}

# Every scenario is checked and every data set loaded first, so a missing or malformed file
# fails in seconds (exit 2, the loader names the file), not after the Fashion-MNIST part.
for entry in "${data_sets[@]}"; do
  read_entry "$entry"
  "$poisonsim" validate "$direct" --data "${sets[@]}" >/dev/null
  "$poisonsim" validate "$generative" "${sets[@]}" >/dev/null
done

mkdir -p "$out"
for entry in "${data_sets[@]}"; do
  read_entry "$entry"
  paper_on "$name" "$direct" "$generative" "${sets[@]}"
done

for entry in "${data_sets[@]}"; do
  cat "$out/${entry%%|*}/table.md"
  echo
done >"$out/table.md"
cat "$out/table.md"
echo "tables: $out/table.md; figures: $out/<data set>/report/index.html" >&2
