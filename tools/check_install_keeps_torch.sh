#!/usr/bin/env bash
# Checks that installing the plugin keeps the torch an environment already
# has: a throwaway venv is given a torch of another supported version (its
# metadata only, as a CUDA build would present itself), then
# `pip install --dry-run --report` lists what `pip install -e .` would
# install. Downloads package metadata, no torch wheel.
# Usage: bash tools/check_install_keeps_torch.sh [TORCH_VERSION]   (2.11.0)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-2.11.0}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 -m venv "$TMP/venv"
SITE=$("$TMP/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$SITE/torch-$VERSION.dist-info"
printf 'Metadata-Version: 2.1\nName: torch\nVersion: %s\n' "$VERSION" \
    >"$SITE/torch-$VERSION.dist-info/METADATA"
echo pip >"$SITE/torch-$VERSION.dist-info/INSTALLER"
: >"$SITE/torch-$VERSION.dist-info/RECORD"
"$TMP/venv/bin/pip" install -q --dry-run --report "$TMP/report.json" -e .
"$TMP/venv/bin/python" - "$TMP/report.json" "$VERSION" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
names = {i['metadata']['name'].lower(): i['metadata']['version']
         for i in report['install']}
print(f'pip install -e . with torch {sys.argv[2]} present would install '
      f'{len(names)} packages: ' + ', '.join(sorted(names)))
if 'torch' in names:
    sys.exit(f'FAIL: it would replace torch {sys.argv[2]} by '
             f'{names["torch"]}')
print(f'OK: torch {sys.argv[2]} is kept')
PY
