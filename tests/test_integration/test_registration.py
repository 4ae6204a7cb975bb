"""Every component is registered once a config imports ``aimclr_mm``."""
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # a fresh interpreter in a subprocess

EXPECTED = dict(
    TRANSFORMS=[
        'PreNormalizeFrame50', 'SkeletonMultiView', 'SkeletonShear',
        'SkeletonTemporalCrop', 'SkeletonSpatialFlip', 'SkeletonRotate',
        'SkeletonGaussianNoise', 'SkeletonGaussianBlur', 'SkeletonAxisMask',
        'SkeletonTemporalFlip'
    ],
    MODELS=[
        'AimCLR', 'AimCLRSTGCN', 'SkeletonDataPreprocessor', 'EADM',
        'ProjectionMLP', 'InfoNCELoss', 'D3MLoss', 'NNMLoss',
        'MomentumEncoder', 'CrossStreamAimCLR', 'CrossStreamLoss'
    ],
    DATASETS=['ClassBalancedSubset', 'KNNDataset', 'SkeletonPoseDataset'],
    HOOKS=[
        'TwoStageLossHook', 'PretrainedEncoderCheckHook', 'FiniteCheckHook',
        'AtomicCheckpointHook', 'RandomStateHook', 'CollapseMonitorHook',
        'BatchSizeCheckHook', 'SettingsCheckHook'
    ],
    OPTIM_WRAPPERS=['CPUAmpOptimWrapper'],
    PARAM_SCHEDULERS=['FractionalMultiStepLR'],
    METRICS=['KNNMetric'],
    LOOPS=['KNNValLoop'],
)

# A fresh interpreter: nothing imported but what the config asks for.
SCRIPT = textwrap.dedent("""
    import json, sys, tempfile
    from mmengine.config import Config
    import mmaction.registry as registry
    with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f:
        f.write("custom_imports = dict(imports=['aimclr_mm'], "
                "allow_failed_imports=False)\\n")
    names = json.loads(sys.argv[1])
    before = {r: sorted(set(names[r]) & set(getattr(registry, r).module_dict))
              for r in names}
    Config.fromfile(f.name)
    after = {r: {n: getattr(registry, r).get(n).__module__
                  for n in names[r] if getattr(registry, r).get(n)}
             for r in names}
    print(json.dumps(dict(before=before, after=after)))
""")


def test_custom_imports_registers_every_component():
    import json
    out = subprocess.run(
        [sys.executable, '-c', SCRIPT, json.dumps(EXPECTED)],
        capture_output=True,
        text=True,
        check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for registry, names in EXPECTED.items():
        assert result['before'][registry] == [], registry
        found = result['after'][registry]
        assert sorted(found) == sorted(names), registry
        assert all(module.startswith('aimclr_mm.')
                   for module in found.values()), found
