from setuptools import find_packages, setup

with open('aimclr_mm/version.py') as f:
    exec(f.read())

setup(
    name='aimclr-mm',
    version=__version__,  # noqa: F821
    description='AimCLR self-supervised skeleton action representation '
    'learning as an mmaction2 plugin',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['aimclr_mm', 'aimclr_mm.*']),
    python_requires='>=3.9',
    # Ranges, so that an environment's own torch build (CUDA or not) stays;
    # requirements/known-good.txt pins the set the tests ran with. torch
    # >= 2.6: safe checkpoint loading allowlists (function, name) pairs.
    # mmaction2 1.2.0's wheel cannot import its models; mmaction2 1.1.0
    # refuses mmcv >= 2.1. mmengine's config loader needs pkg_resources.
    install_requires=[
        'torch>=2.6,<2.14',
        'mmengine>=0.10.4,<0.11',
        'mmcv-lite>=2.0.0,<2.1',
        'mmaction2>=1.1.0,<1.2',
        'setuptools<81',
        'numpy>=1.24',
        'scipy',
    ],
    extras_require={
        'tests': ['pytest>=7'],
        'vis': ['matplotlib'],
    },
)
