"""Import a script of tools/ as a module, for tests that call its
functions."""
import importlib.util
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / 'tools'


def load_tool(name: str):
    """``tools/<name>.py`` as a fresh module."""
    spec = importlib.util.spec_from_file_location(f'_tool_{name}',
                                                  TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _num_person_values(node) -> list:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == 'num_person'] + [
            x for v in node.values() for x in _num_person_values(v)]
    if isinstance(node, (list, tuple)):
        return [x for v in node for x in _num_person_values(v)]
    return []


def person_slots(config: str, cfg_options: list = ()) -> list:
    """Every ``num_person`` value in the data loaders of ``config`` once
    ``cfg_options`` (``--cfg-options`` strings) are merged into it."""
    from mmengine.config import Config
    demo = load_tool('demo')
    cfg = Config.fromfile(config)
    demo.merge_cfg_options(cfg, list(cfg_options))
    return _num_person_values([
        cfg[k] for k in ('train_dataloader', 'val_dataloader',
                         'test_dataloader') if k in cfg
    ])
