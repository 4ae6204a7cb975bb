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
    install_requires=[
        'torch==2.13.0',
        'mmengine==0.10.7',
        'mmcv-lite==2.0.1',
        'mmaction2==1.1.0',
        'setuptools<81',
        'numpy>=1.24',
        'scipy',
    ],
    extras_require={
        'tests': ['pytest>=7'],
        'vis': ['matplotlib'],
    },
)
