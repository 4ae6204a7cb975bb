#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG NPROC [train.py args]
# Python: $PYTHON, else the .venv of the clone, else python on PATH.
# One process per GPU over NCCL with CUDA, else NPROC CPU processes over gloo.
# On one machine a free port is found; set PORT (and NNODES, NODE_RANK,
# MASTER_ADDR for several machines) to choose it.

source "$(dirname "$0")/find_python.sh"
set -x

CONFIG=$1
NPROC=$2
source "$(dirname "$0")/rendezvous.sh"

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    "${RDZV[@]}" \
    --nproc_per_node=$NPROC \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "${@:3}"
