#!/usr/bin/env bash
# Runs README.md's two commands and the commands of docs/getting_started.md
# in order, with tiny settings, in a fresh clone of the committed tree:
# install (command 1, the demo with --tiny), the test suite (command 2;
# SKIP_TESTS=1 skips it), then the CPU short run and the rest of the CPU
# chain (linear, test --dump, fusion, KNN, t-SNE), the figures, and
# dist_train.sh with two CPU processes and --resume, without activating
# the venv. Takes 10-20 minutes on 2 CPU cores.
# Usage: bash tools/check_readme_commands.sh [CLONE_DIR]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CLONE=${1:-$(mktemp -d)/aimclr-mm}
git clone -q "$SRC" "$CLONE"
cd "$CLONE"
step() { echo; echo "=== $*"; }

step "README command 1 (demo --tiny)"
python3 -m venv .venv && .venv/bin/pip install -q "setuptools<81" && .venv/bin/pip install -q -e ".[tests,vis]" -c requirements/known-good.txt && .venv/bin/python tools/demo.py --tiny
for f in results.md results.json tsne.png knn_curve.png; do
    test -s "work_dirs/demo/$f" || { echo "missing work_dirs/demo/$f"; exit 1; }
done

if [ "${SKIP_TESTS:-0}" != 1 ]; then
    step "README command 2"
    .venv/bin/python -m pytest -q tests
fi

step "dist_train.sh without an activated venv (2 CPU processes), then --resume"
export OMP_NUM_THREADS=1
TINY="train_dataloader.dataset.ann_file=work_dirs/demo/synthetic_3d.pkl train_dataloader.batch_size=8 train_dataloader.num_workers=0 val_dataloader.num_workers=0 model.queue_size=32 train_cfg.max_epochs=1"
env -u VIRTUAL_ENV PATH=/usr/bin:/bin bash tools/dist_train.sh configs/aimclr_stgcn_ntu60_xsub_joint.py 2 \
    --work-dir work_dirs/dist_try --cfg-options $TINY
env -u VIRTUAL_ENV PATH=/usr/bin:/bin bash tools/dist_train.sh configs/aimclr_stgcn_ntu60_xsub_joint.py 2 \
    --work-dir work_dirs/dist_try --resume --cfg-options $TINY train_cfg.max_epochs=2
test -s work_dirs/dist_try/epoch_2.pth

step "A short run on CPU (docs/getting_started.md), with the venv activated"
# shellcheck disable=SC1091
source .venv/bin/activate
python tools/data/make_synthetic_skeletons.py data/skeleton/synthetic_3d.pkl --repetitions 1
python tools/train.py configs/aimclr_stgcn_ntu60_xsub_joint.py --work-dir work_dirs/cpu_try \
    --cfg-options train_dataloader.dataset.ann_file=data/skeleton/synthetic_3d.pkl \
    train_dataloader.batch_size=16 train_dataloader.num_workers=0 val_dataloader.num_workers=0 \
    model.queue_size=64 train_cfg.max_epochs=2 train_cfg.val_interval=1
python tools/plot_knn_curve.py work_dirs/cpu_try --k 10 --out work_dirs/cpu_try/knn.png
test -s work_dirs/cpu_try/knn.png

step "The rest of the chain on CPU (docs/getting_started.md: motion stream, linear, test --dump, fusion, KNN, t-SNE)"
# the second command block of "A short run on CPU", as written there
python - > work_dirs/readme_chain.sh <<'PY'
text = open('docs/getting_started.md').read()
section = text[text.index('### A short run on CPU'):]
blocks = section.split('```bash\n')
print(blocks[2].split('```')[0])
PY
bash -euo pipefail work_dirs/readme_chain.sh
test -s work_dirs/cpu_linear_joint/scores.pkl
test -s work_dirs/cpu_linear_motion/scores.pkl

step "--resume with nothing to resume"
python tools/train.py configs/aimclr_stgcn_ntu60_xsub_joint.py --work-dir work_dirs/empty_resume --resume \
    --cfg-options train_dataloader.dataset.ann_file=data/skeleton/synthetic_3d.pkl \
    train_dataloader.batch_size=16 train_dataloader.num_workers=0 model.queue_size=64 \
    train_cfg.max_epochs=1 --no-validate 2>&1 | tee work_dirs/empty_resume.out
grep -q "no checkpoint to resume from in work_dirs/empty_resume" work_dirs/empty_resume.out

step "KNN and t-SNE (evaluation commands, on the short run)"
python tools/knn_eval.py configs/aimclr_stgcn_ntu60_xsub_joint.py work_dirs/cpu_try/epoch_2.pth \
    --cfg-options train_dataloader.dataset.ann_file=data/skeleton/synthetic_3d.pkl \
    val_dataloader.num_workers=0 model.queue_size=64
python tools/visualize_tsne.py configs/aimclr_stgcn_ntu60_xsub_joint.py work_dirs/cpu_try/epoch_2.pth \
    --out work_dirs/cpu_try/tsne.png \
    --cfg-options train_dataloader.dataset.ann_file=data/skeleton/synthetic_3d.pkl model.queue_size=64
test -s work_dirs/cpu_try/tsne.png

step "No MultiScaleDeformableAttention warning from our tools"
! python tools/train.py --help 2>&1 | grep -q MultiScaleDeformableAttention

echo; echo "README commands passed in $CLONE"
