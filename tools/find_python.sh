# Sourced by the launch scripts: sets PYTHON to $PYTHON if given, else the
# clone's .venv/bin/python if there is one, else the `python` on PATH.
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$(dirname "${BASH_SOURCE[0]}")/../.venv/bin/python" ]; then
        PYTHON="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/python"
    else
        PYTHON=python
    fi
fi
