#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]
# Python: $PYTHON, else the .venv of the clone, else python on PATH.
# One process per GPU over NCCL with CUDA, else NPROC CPU processes over gloo.
# On one machine a free port is found; set PORT (and NNODES, NODE_RANK,
# MASTER_ADDR for several machines) to choose it.

source "$(dirname "$0")/find_python.sh"
set -x

CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
if [ "$NNODES" = 1 ] && [ -z "$PORT" ]; then
    # One machine: the rendezvous takes a free port itself, so that runs
    # side by side on one machine do not collide.
    RDZV=(--standalone)
else
    RDZV=(--nnodes="$NNODES" --node_rank="$NODE_RANK"
          --master_addr="$MASTER_ADDR" --master_port="${PORT:-29500}")
fi

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    "${RDZV[@]}" \
    --nproc_per_node=$NPROC \
    "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch \
    "${@:4}"
