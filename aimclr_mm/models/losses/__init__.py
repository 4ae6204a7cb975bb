from .cross_stream_loss import (CrossStreamLoss, cross_stream_logits,
                                cross_stream_positive_mask)
from .d3m_loss import D3MLoss
from .infonce_loss import InfoNCELoss
from .nnm_loss import (NNMLoss, nearest_neighbor_positive_mask,
                       positive_set_loss)

__all__ = [
    'InfoNCELoss', 'D3MLoss', 'NNMLoss', 'nearest_neighbor_positive_mask',
    'positive_set_loss', 'CrossStreamLoss', 'cross_stream_logits',
    'cross_stream_positive_mask'
]
