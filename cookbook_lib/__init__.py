"""cookbook_lib: the helper library of the SSL Cookbook.

    from cookbook_lib import RunConfig, train, load_or_train
    run = train(RunConfig(method="simclr", dataset="shapes", steps=300))
    run.history, run.metrics
"""
from .cache import load_or_train
from .config import RunConfig
from .train import Run, train, untrained

__all__ = ["RunConfig", "Run", "train", "untrained", "load_or_train"]
__version__ = "0.1.0"
