import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import ExponentialMovingAverage


@MODELS.register_module()
class MomentumEncoder(ExponentialMovingAverage):
    """Key encoder kept as a momentum (EMA) copy of the query encoder.

    ``key = m * key + (1 - m) * query`` for every parameter, once per
    iteration. Unlike mmengine's EMA it never copies buffers from the query
    encoder: AimCLR's key encoder runs in training mode on the key view and
    its BatchNorm statistics are its own.

    Args:
        model (nn.Module): The query encoder (backbone + projector).
        momentum (float): m in MoCo's convention. Defaults to 0.999.
        copy_init (bool): Start from a copy of the query encoder (MoCo). With
            False the key encoder keeps its own initialisation, as the
            official AimCLR code ends up doing. Defaults to True.

    The update is one fused ``torch._foreach_lerp_`` over all parameters
    (the same arithmetic as mmengine's per-tensor ``lerp_``).
    """

    def __init__(self,
                 model: nn.Module,
                 momentum: float = 0.999,
                 copy_init: bool = True) -> None:
        # mmengine's momentum is the weight of the new value: 1 - m.
        super().__init__(model, momentum=1 - momentum, update_buffers=False)
        self.copy_init = copy_init

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        source = dict(model.named_parameters())
        averaged = [param.data for param in self.avg_parameters.values()]
        current = [source[name].data for name in self.avg_parameters]
        if self.steps == 0 and self.copy_init:
            torch._foreach_copy_(averaged, current)
        else:
            torch._foreach_lerp_(averaged, current, self.momentum)
        self.steps += 1
