#!/usr/bin/env bash
# Run an experiment grid as a Slurm job array: each array task runs one shard.
#
#   npm ci                      # once, on the login node, before submitting: every task
#                               # uses this checkout's node_modules (never install per task)
#   sbatch --array=1-8 experiments/cluster/slurm-array.sh mnist-quick
#   # when every task is done:
#   npx lipbench merge results/mnist-quick
#
# Submit from the checkout's root: Slurm opens --output before the script runs, so
# logs/ must already exist there; the repository ships it (logs/.gitignore).
# lipbench reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT / SLURM_ARRAY_TASK_MIN,
# so any --array range works (1-8, 0-7). The results folder must be on a filesystem
# every node sees; shards never write the same file. Extra arguments go to
# `lipbench run` (e.g. -o /shared/results --backend wasm).
#SBATCH --job-name=lipbench
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=logs/lipbench-%A_%a.out
set -euo pipefail
EXPERIMENT="${1:?usage: sbatch --array=1-N slurm-array.sh <experiment> [extra lipbench run args]}"
shift
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/../..}"
if [ ! -d node_modules ]; then
  echo "lipbench: no node_modules in $(pwd): run 'npm ci' once here before submitting" >&2
  exit 1
fi
exec npx --no-install lipbench run "$EXPERIMENT" --no-progress "$@"
