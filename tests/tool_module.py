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
