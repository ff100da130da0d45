"""ctypes bindings of the optim C API (include/optim-c/Runtime.h).

The library is found, in order, at ``$OPTIM_C_LIBRARY``, in the package's
``_lib`` directory (where the CMake build tree and ``pip install`` put it),
and by the dynamic loader's search path (``liboptim_c.so`` of an installed
prefix on ``LD_LIBRARY_PATH``).
"""

import ctypes
import numbers
import operator
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


_INT_RANGES = {
    ctypes.c_int32: (-2**31, 2**31),
    ctypes.c_int64: (-2**63, 2**63),
    ctypes.c_uint64: (0, 2**64),
}


def _checked_field(cls, name, ctype, value):
    """`value` for field `name` (of type `ctype`) of a `cls`, or an error:
    ctypes would store an int out of the field's range wrapped (2**32 + 3
    as 3), and take a bool or anything with __float__ as a number."""
    struct = cls._struct_name
    if ctype is ctypes.c_double:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{struct}.{name} must be a real number, got "
                            f"{value!r}")
        return value
    if ctype is ctypes.c_char_p:
        # bytes (which the struct keeps alive) or None; an int would be a
        # raw address nothing keeps valid.
        if value is not None and not isinstance(value, bytes):
            raise TypeError(f"{struct}.{name} must be bytes or None, got "
                            f"{value!r}")
        return value
    if isinstance(value, bool):
        if name in cls._flags:
            return int(value)
        raise TypeError(f"{struct}.{name} must be an integer, not a bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{struct}.{name} must be an integer, got "
                        f"{value!r}") from None
    low, high = _INT_RANGES[ctype]
    if not low <= value < high:
        raise OverflowError(f"{struct}.{name} = {value} is out of the range "
                            f"of its C type [{low}, {high})")
    return value


class _CheckedStructure(ctypes.Structure):
    """A struct whose fields are checked when set (positional and keyword
    construction set them through __setattr__ too)."""

    _flags = frozenset()

    def __setattr__(self, name, value):
        ctype = self._field_types.get(name)
        if ctype is not None:
            value = _checked_field(type(self), name, ctype, value)
        super().__setattr__(name, value)


class StepConfig(_CheckedStructure):
    _fields_ = [(name, ctypes.c_int32) for name in (
        "biasCorrection", "weightDecay", "decayRate", "amsgrad", "maximize",
        "givenPowers", "rescaleGrad", "clipGradient", "gradScale", "foundInf",
        "paramType", "target", "fastMath", "clipGradNorm", "momentStorage",
        "stochasticRounding", "vectorSize")] + [
            ("gpuChip", ctypes.c_char_p)]
    # The int32 fields that are flags (C tests them != 0): a bool is the
    # natural value there, and only there (an enum, a count or a seed given
    # True is a mistake).
    _flags = frozenset((
        "amsgrad", "maximize", "givenPowers", "rescaleGrad", "clipGradient",
        "gradScale", "foundInf", "fastMath", "clipGradNorm",
        "stochasticRounding"))


class StepScalars(_CheckedStructure):
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


for _struct in (StepConfig, StepScalars):
    _struct._field_types = dict(_struct._fields_)
    _struct._struct_name = _struct.__name__


class _UncheckedStepScalars(StepScalars):
    """StepScalars set at ctypes' speed, for a caller (optim.torch) whose
    values are its own counters or go to C's checks: the checked
    __setattr__ made a small model's step half again as long (21 to 33 us,
    for 18 fields set per step)."""

    __setattr__ = ctypes.Structure.__setattr__


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


class _Unique:
    """An owner of a C handle, which its __del__ releases: a copy or a
    pickle would be a second owner of the same handle (released twice)."""

    __slots__ = ()

    def _refuse(self, *args):
        raise TypeError(f"optim.{type(self).__name__} owns a C handle and "
                        f"cannot be copied or pickled (share the object "
                        f"instead)")

    __copy__ = __deepcopy__ = __reduce__ = __reduce_ex__ = _refuse

    def _release(self):
        # An object whose __init__ did not run or failed has no handle.
        handle = getattr(self, "handle", None)
        destroy = getattr(self, "_destroy", None)
        if handle is not None and handle.ptr and destroy is not None:
            self.handle = None
            destroy(handle)


def _buffers_arg(buffers, count):
    """What optimStep* take for `count` ParamBuffers at `buffers`: a ctypes
    array of ParamBuffers of at least `count` elements, one ParamBuffers
    (count <= 1), None (count 0) or a raw address (an int), whose `count`
    elements the caller vouches for. C reads `count` elements from it: a
    shorter array would be read past its end."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"count must be an integer, got {count!r}")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if count >= 2**63:
        raise OverflowError(f"count {count} is out of range (< 2**63)")
    if isinstance(buffers, ctypes.Array):
        if not issubclass(buffers._type_, ParamBuffers):
            raise TypeError(f"buffers must be an array of ParamBuffers, not "
                            f"of {buffers._type_.__name__}")
        if count > len(buffers):
            raise ValueError(f"count {count} exceeds the {len(buffers)} "
                             f"ParamBuffers of the array")
        return buffers
    if isinstance(buffers, ParamBuffers):
        if count > 1:
            raise ValueError(f"count {count} exceeds the one ParamBuffers "
                             f"given")
        return ctypes.byref(buffers)
    if buffers is None:
        if count:
            raise ValueError(f"count {count} with no buffers (None)")
        return None
    if isinstance(buffers, int) and not isinstance(buffers, bool):
        if not 0 <= buffers < 2**64:
            raise OverflowError(f"buffers address {buffers} is out of range")
        return buffers
    raise TypeError(f"buffers must be a ctypes array of ParamBuffers, a "
                    f"ParamBuffers, None or an address (int), got "
                    f"{type(buffers).__name__}")


def _scalars_arg(scalars):
    if not isinstance(scalars, StepScalars):
        raise TypeError(f"scalars must be a StepScalars, got "
                        f"{type(scalars).__name__}")
    return ctypes.byref(scalars)


class Step(_Unique):
    """A compiled step (a reference to the compiler's cached kernel)."""

    __slots__ = ("handle", "config", "_destroy")

    def __init__(self, handle, config):
        self.handle = handle
        self.config = config
        self._destroy = lib.optimStepDestroy

    __del__ = _Unique._release

    def run(self, buffers, count, scalars, serial=False):
        """Runs over `count` ParamBuffers of `buffers`: a ctypes array of at
        least `count`, one ParamBuffers (count <= 1), or a raw address (an
        int; that `count` ParamBuffers lie there is the caller's
        responsibility)."""
        fn = lib.optimStepRunSerial if serial else lib.optimStepRun
        check(fn(self.handle, _buffers_arg(buffers, count), count,
                 _scalars_arg(scalars)))

    def grad_squared_norm(self, buffers, count, scalars):
        """The sum of the squares of the gradients of `count` ParamBuffers
        (a step configured with clipGradNorm); `buffers` as for run()."""
        out = ctypes.c_double()
        check(lib.optimStepComputeGradSquaredNorm(
            self.handle, _buffers_arg(buffers, count), count,
            _scalars_arg(scalars), ctypes.byref(out)))
        return out.value


class Compiler(_Unique):
    """A JIT compiler with its cache of steps and its thread pool."""

    def __init__(self, num_threads=0):
        if (isinstance(num_threads, bool) or not isinstance(num_threads, int)
                or not 0 <= num_threads < 2**32):
            raise ValueError(f"num_threads must be an integer >= 0, got "
                             f"{num_threads!r}")
        handle = _Handle()
        check(lib.optimCompilerCreate(num_threads, ctypes.byref(handle)))
        self.handle = handle
        self._destroy = lib.optimCompilerDestroy
        self._steps = {}

    def __del__(self):
        # The steps (their handles) go first.
        self._steps = {}
        self._release()

    @property
    def num_threads(self):
        return lib.optimCompilerGetNumThreads(self.handle)

    def get_step(self, config):
        """The compiled step for a StepConfig, cached per configuration."""
        if not isinstance(config, StepConfig):
            raise TypeError(f"get_step takes a StepConfig, got "
                            f"{type(config).__name__}")
        key = tuple(getattr(config, name) for name, _ in StepConfig._fields_)
        step = self._steps.get(key)
        if step is None:
            handle = _Handle()
            check(lib.optimCompilerGetStep(self.handle, ctypes.byref(config),
                                           ctypes.byref(handle)))
            # Field by field: a struct copy would copy the gpuChip pointer
            # but not the bytes behind it, which the caller's config keeps
            # alive (getattr gives a copy of them, which `copy` keeps).
            copy = StepConfig()
            for name, _ in StepConfig._fields_:
                setattr(copy, name, getattr(config, name))
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
