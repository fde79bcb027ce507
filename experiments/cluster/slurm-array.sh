#!/usr/bin/env bash
# Run an experiment grid as a Slurm job array: each array task runs one shard.
#
#   sbatch --array=1-8 experiments/cluster/slurm-array.sh mnist-quick
#   # when every task is done:
#   npx lipbench merge results/mnist-quick
#
# lipbench reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT / SLURM_ARRAY_TASK_MIN,
# so any --array range works (1-8, 0-7). The results folder must be on a filesystem
# every node sees; shards never write the same file.
#SBATCH --job-name=lipbench
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=logs/lipbench-%A_%a.out
set -euo pipefail
EXPERIMENT="${1:?usage: sbatch --array=1-N slurm-array.sh <experiment> [extra lipbench run args]}"
shift
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/../..}"
mkdir -p logs
exec npx lipbench run "$EXPERIMENT" --no-progress "$@"
