"""ctypes bindings of the optim C API (include/optim-c/Runtime.h).

The library is found, in order, at ``$OPTIM_C_LIBRARY``, in the package's
``_lib`` directory (where the CMake build tree and ``pip install`` put it),
and by the dynamic loader's search path (``liboptim_c.so`` of an installed
prefix on ``LD_LIBRARY_PATH``).
"""

import ctypes
import os

ABI_VERSION = 3

# Enumerations of optim-c/Runtime.h.
ELEMENT_F16, ELEMENT_BF16, ELEMENT_F32, ELEMENT_F64 = range(4)
TARGET_CPU, TARGET_GPU = range(2)
MOMENTS_COMPUTE, MOMENTS_BF16, MOMENTS_BLOCKWISE8 = range(3)
BIAS_CORRECTION = {"standard": 0, "folded": 1, "none": 2}
WEIGHT_DECAY_NONE, WEIGHT_DECAY_L2, WEIGHT_DECAY_DECOUPLED = range(3)
DECAY_RATE = {"lr": 0, "effective": 1}
PRESETS = {
    "torch.adam": 0,
    "torch.adamw": 1,
    "mindspore.adam_weight_decay": 2,
    "mindspore.apply_adam_with_amsgrad_v2": 3,
    "mxnet.adamw": 4,
    "brainpy.adamw": 5,
}


class OptimError(RuntimeError):
    """An error reported by the optim runtime (the status message)."""


class _Handle(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p)]


class StepConfig(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int32) for name in (
        "biasCorrection", "weightDecay", "decayRate", "amsgrad", "maximize",
        "givenPowers", "rescaleGrad", "clipGradient", "gradScale", "foundInf",
        "paramType", "target", "fastMath", "clipGradNorm", "momentStorage",
        "stochasticRounding", "vectorSize")] + [
            ("gpuChip", ctypes.c_char_p)]


class StepScalars(ctypes.Structure):
    _fields_ = [("lr", ctypes.c_double), ("beta1", ctypes.c_double),
                ("beta2", ctypes.c_double), ("eps", ctypes.c_double),
                ("weightDecay", ctypes.c_double), ("step", ctypes.c_int64),
                ("beta1Power", ctypes.c_double),
                ("beta2Power", ctypes.c_double),
                ("rescaleGrad", ctypes.c_double),
                ("clipGradient", ctypes.c_double),
                ("gradScale", ctypes.c_double), ("foundInf", ctypes.c_double),
                ("gradNorm", ctypes.c_double),
                ("maxGradNorm", ctypes.c_double),
                ("roundingSeed", ctypes.c_uint64),
                ("roundingOffset", ctypes.c_uint64),
                ("roundingStream", ctypes.c_uint64)]


class ParamBuffers(ctypes.Structure):
    _fields_ = [("param", ctypes.c_void_p), ("grad", ctypes.c_void_p),
                ("expAvg", ctypes.c_void_p), ("expAvgSq", ctypes.c_void_p),
                ("maxExpAvgSq", ctypes.c_void_p),
                ("numElements", ctypes.c_int64),
                ("expAvgAbsmax", ctypes.c_void_p),
                ("expAvgSqAbsmax", ctypes.c_void_p),
                ("tensorElements", ctypes.c_int64)]


def _candidates():
    env = os.environ.get("OPTIM_C_LIBRARY")
    if env:
        return [env]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib",
                        "liboptim_c.so")
    return [here, "liboptim_c.so"]


def _load():
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append(f"{path}: no such file")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
    raise ImportError(
        "optim: cannot load liboptim_c.so (build the OptimCAPI target, or set "
        "OPTIM_C_LIBRARY to its path): " + "; ".join(errors))


lib = _load()


def _declare(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


_P = ctypes.POINTER
_declare("optimGetAbiVersion", ctypes.c_int)
_declare("optimStatusGetMessage", ctypes.c_char_p, _Handle)
_declare("optimStatusDestroy", None, _Handle)
_declare("optimStepConfigForPreset", StepConfig, ctypes.c_int, ctypes.c_int)
_declare("optimStepScalarsForPreset", StepScalars, ctypes.c_int)
_declare("optimStepConfigVerify", _Handle, _P(StepConfig))
_declare("optimStepScalarsVerify", _Handle, _P(StepConfig), _P(StepScalars))
_declare("optimCompilerCreate", _Handle, ctypes.c_uint32, _P(_Handle))
_declare("optimCompilerDestroy", None, _Handle)
_declare("optimCompilerGetNumThreads", ctypes.c_uint32, _Handle)
_declare("optimCompilerGetStep", _Handle, _Handle, _P(StepConfig),
         _P(_Handle))
_declare("optimStepDestroy", None, _Handle)
_declare("optimStepRun", _Handle, _Handle, ctypes.c_void_p, ctypes.c_ssize_t,
         _P(StepScalars))
_declare("optimStepRunSerial", _Handle, _Handle, ctypes.c_void_p,
         ctypes.c_ssize_t, _P(StepScalars))
_declare("optimStepComputeGradSquaredNorm", _Handle, _Handle, ctypes.c_void_p,
         ctypes.c_ssize_t, _P(StepScalars), _P(ctypes.c_double))

if lib.optimGetAbiVersion() != ABI_VERSION:
    raise ImportError(
        f"optim: liboptim_c.so has C ABI version {lib.optimGetAbiVersion()}, "
        f"these bindings expect {ABI_VERSION}")


def check(status):
    """Raises OptimError with the status's message on failure."""
    if status.ptr:
        message = lib.optimStatusGetMessage(status).decode(errors="replace")
        lib.optimStatusDestroy(status)
        raise OptimError(message)


def preset_config(preset, element_type=ELEMENT_F32):
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; one of {sorted(PRESETS)}")
    return lib.optimStepConfigForPreset(PRESETS[preset], element_type)


def preset_scalars(preset):
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; one of {sorted(PRESETS)}")
    return lib.optimStepScalarsForPreset(PRESETS[preset])


class Step:
    """A compiled step (a reference to the compiler's cached kernel)."""

    __slots__ = ("handle", "config", "_destroy")

    def __init__(self, handle, config):
        self.handle = handle
        self.config = config
        self._destroy = lib.optimStepDestroy

    def __del__(self):
        if self.handle is not None and self.handle.ptr:
            self._destroy(self.handle)
            self.handle = None

    def run(self, buffers, count, scalars, serial=False):
        """Runs over `count` ParamBuffers at address (or array) `buffers`."""
        fn = lib.optimStepRunSerial if serial else lib.optimStepRun
        check(fn(self.handle, buffers, count, ctypes.byref(scalars)))

    def grad_squared_norm(self, buffers, count, scalars):
        """The sum of the squares of the gradients of `count` ParamBuffers
        (a step configured with clipGradNorm)."""
        out = ctypes.c_double()
        check(lib.optimStepComputeGradSquaredNorm(
            self.handle, buffers, count, ctypes.byref(scalars),
            ctypes.byref(out)))
        return out.value


class Compiler:
    """A JIT compiler with its cache of steps and its thread pool."""

    def __init__(self, num_threads=0):
        if not isinstance(num_threads, int) or not 0 <= num_threads < 2**32:
            raise ValueError(f"num_threads must be an integer >= 0, got "
                             f"{num_threads!r}")
        handle = _Handle()
        check(lib.optimCompilerCreate(num_threads, ctypes.byref(handle)))
        self.handle = handle
        self._destroy = lib.optimCompilerDestroy
        self._steps = {}

    def __del__(self):
        handle = getattr(self, "handle", None)
        if handle is not None and handle.ptr:
            self._steps = {}
            self._destroy(handle)
            self.handle = None

    @property
    def num_threads(self):
        return lib.optimCompilerGetNumThreads(self.handle)

    def get_step(self, config):
        """The compiled step for a StepConfig, cached per configuration."""
        key = tuple(getattr(config, name) for name, _ in StepConfig._fields_)
        step = self._steps.get(key)
        if step is None:
            handle = _Handle()
            check(lib.optimCompilerGetStep(self.handle, ctypes.byref(config),
                                           ctypes.byref(handle)))
            copy = StepConfig()
            ctypes.pointer(copy)[0] = config
            step = self._steps[key] = Step(handle, copy)
        return step


def verify_scalars(config, scalars):
    check(lib.optimStepScalarsVerify(ctypes.byref(config),
                                     ctypes.byref(scalars)))


_default_compiler = None


def default_compiler():
    """The process's shared compiler; $OPTIM_NUM_THREADS threads (0: all)."""
    global _default_compiler
    if _default_compiler is None:
        threads = os.environ.get("OPTIM_NUM_THREADS", "0")
        try:
            threads = int(threads)
        except ValueError:
            raise ValueError(
                f"OPTIM_NUM_THREADS must be an integer, got {threads!r}")
        _default_compiler = Compiler(threads)
    return _default_compiler
