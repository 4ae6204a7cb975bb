from .frozen_backbone_recognizer import FrozenBackboneRecognizerGCN

__all__ = ['FrozenBackboneRecognizerGCN']
