from .tsne import tsne

__all__ = ['tsne']
