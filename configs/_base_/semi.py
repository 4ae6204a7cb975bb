_base_ = './finetune.py'

# Semi-supervised: finetuning on a seeded, class-balanced fraction of the
# training labels (leaves set ``ratio``: 0.01 or 0.1).
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassBalancedSubset',
        ratio=0.1,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
