import torch.nn as nn
from mmaction.models import RecognizerGCN
from mmaction.registry import MODELS


@MODELS.register_module()
class FrozenBackboneRecognizerGCN(RecognizerGCN):
    """mmaction2's ``RecognizerGCN`` for linear evaluation of any GCN
    backbone: the backbone gets no gradients and stays in eval mode, so
    neither its weights nor its BatchNorm statistics move; only the head
    learns.

    mmaction2's ``STGCN`` and ``AAGCN`` have no frozen option (ours,
    ``AimCLRSTGCN(frozen=True)``, does), and an lr multiplier of 0 would
    still let BatchNorm statistics drift. Checkpoint keys are those of
    ``RecognizerGCN`` (``backbone.``, ``cls_head.``).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.backbone.requires_grad_(False)
        self.backbone.eval()

    def train(self, mode: bool = True) -> nn.Module:
        super().train(mode)
        self.backbone.eval()
        return self
