"""optim: compiled Adam-family optimizer steps.

``optim.Compiler`` and ``optim.Step`` wrap the C API; ``optim.torch`` holds
drop-in ``torch.optim`` optimizers (imported on first use, so that importing
``optim`` does not import torch).
"""

from ._capi import (Compiler, OptimError, ParamBuffers, Step, StepConfig,
                    StepScalars, default_compiler, preset_config,
                    preset_scalars, PRESETS)

__version__ = "0.1.0"

__all__ = [
    "Compiler", "OptimError", "ParamBuffers", "Step", "StepConfig",
    "StepScalars", "default_compiler", "preset_config", "preset_scalars",
    "PRESETS", "torch"
]


def __getattr__(name):
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'optim' has no attribute {name!r}")
