from typing import Dict, Optional

import torch
from mmaction.utils import SampleList
from mmengine.model import BaseModel


class BaseSkeletonSelfSupervisor(BaseModel):
    """The three modes of a self-supervised skeleton model, as mmpretrain's
    ``BaseSelfSupervisor``: ``loss`` (pretraining), ``predict`` (pooled
    features attached to each sample as ``feature``, which the KNN metric
    reads) and ``tensor`` (the features). Subclasses give :meth:`loss` and
    :meth:`extract_feat`."""

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[SampleList] = None) -> Dict:
        raise NotImplementedError

    def predict(self, inputs: torch.Tensor,
                data_samples: SampleList) -> SampleList:
        """Attach the features (C,) of each sample as ``feature``."""
        for feat, data_sample in zip(self.extract_feat(inputs), data_samples):
            data_sample.set_field(feat, 'feature')
        return data_samples

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise RuntimeError(f'Invalid mode "{mode}".')
