#!/usr/bin/env bash
# Held-out validation of the calibrated roofline on Vidur's tables (kernels/cost/README.md):
#   1. leave one model out: fit without the model's tables on every GPU, validate its tables;
#   2. a GPU never measured: fit on the A100 and A40 tables, validate the H100 ones;
#   3. a GPU measured on small models only (the position of an H100 user here, who has
#      Llama-2-7B and phi-2): fit with the A100 tables of Llama-2-7B and phi-2 and every
#      table of the other GPUs, validate the other A100 models (Llama-3: up to 32,768 tokens).
# Prints one line per fit with the median absolute % error of each validated table.
# Usage, from the repository root: kernels/cost/generalization.sh [path/to/firstwall]
set -euo pipefail
fw=${1:-build/tools/firstwall}
compute=../shared/data/vidur/data/profiling/compute
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

catalog_name() { case $1 in a100) echo a100-sxm-80gb ;; h100) echo h100-sxm ;; a40) echo a40 ;; esac; }
validate() {  # table calibration -> "gpu=X.XX"
  local gpu; gpu=$(basename "$(dirname "$(dirname "$(dirname "$1")")")")
  local r; r=$("$fw" kernels validate --vidur "$1" --device "$(catalog_name "$gpu")" --calibration "$2" | tail -1)
  echo "$gpu=${r#median_abs_pct_error=}"
}

echo "leave one model out (fit without it on every GPU):"
for model in Llama-2-7b-hf phi-2 Meta-Llama-3-8B Meta-Llama-3-70B Llama-2-70b-hf \
             CodeLlama-34b-Instruct-hf internlm-20b Qwen-72B; do
  "$fw" kernels fit --vidur "$compute" --exclude-model "$model" --out "$out/$model.yaml" > /dev/null
  line="  $model:"
  for t in "$compute"/*/*/"$model"/mlp.csv; do line="$line $(validate "$t" "$out/$model.yaml")"; done
  echo "$line"
done

echo "H100 never measured (fit on A100 + A40):"
"$fw" kernels fit --vidur "$compute/a100" --vidur "$compute/a40" --out "$out/no_h100.yaml" > /dev/null
for t in "$compute"/h100/*/*/mlp.csv; do
  echo "  $(basename "$(dirname "$t")"): $(validate "$t" "$out/no_h100.yaml")"
done

echo "A100 measured on Llama-2-7B and phi-2 only (other GPUs: all tables):"
args=()
for t in "$compute"/*/*/*/mlp.csv; do
  gpu=$(basename "$(dirname "$(dirname "$(dirname "$t")")")"); model=$(basename "$(dirname "$t")")
  if [[ $gpu != a100 || $model == Llama-2-7b-hf || $model == phi-2 ]]; then args+=(--vidur "$t"); fi
done
"$fw" kernels fit "${args[@]}" --out "$out/small_a100.yaml" > /dev/null
for t in "$compute"/a100/*/*/mlp.csv; do
  model=$(basename "$(dirname "$t")")
  [[ $model == Llama-2-7b-hf || $model == phi-2 ]] && continue
  echo "  $model: $(validate "$t" "$out/small_a100.yaml")"
done
