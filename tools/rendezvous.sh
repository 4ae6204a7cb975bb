# Sourced by dist_train.sh and dist_test.sh: sets RDZV to torchrun's
# rendezvous arguments. On one machine without PORT, --standalone takes a
# free port itself, so that runs side by side do not collide; otherwise
# NNODES, NODE_RANK, MASTER_ADDR and PORT (default 29500) are used.
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
if [ "$NNODES" = 1 ] && [ -z "${PORT:-}" ]; then
    RDZV=(--standalone)
else
    RDZV=(--nnodes="$NNODES" --node_rank="$NODE_RANK"
          --master_addr="$MASTER_ADDR" --master_port="${PORT:-29500}")
fi
