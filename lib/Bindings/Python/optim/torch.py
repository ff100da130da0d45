"""Drop-in ``torch.optim`` optimizers running optim's compiled steps.

    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    opt = optim.torch.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)

``Adam`` and ``AdamW`` take torch's arguments (``foreach`` and ``fused`` are
accepted and ignored: every step is one fused, multithreaded kernel call per
parameter group; a Tensor ``lr`` is read at every step, so in-place
schedules apply; ``Adam(decoupled_weight_decay=True)`` is AdamW, as in torch
2.x) and keep torch's state layout, so ``state_dict()`` checkpoints move
between ``torch.optim`` and ``optim.torch`` both ways.
``preset()`` builds the other framework presets of SEMANTICS.md.

Parameters may be dense in any order of their dims (channels_last, a
transpose): the step is elementwise over memory, so the moments must share
the parameter's layout (fresh moments take it, as torch.optim's zeros_like
do; a loaded checkpoint's are copied into it), and a gradient laid out
otherwise (a contiguous one, an expand's) is copied into it at every step.
Parameters with gaps or overlaps are refused. A step bumps the autograd
version counters of the parameters it writes, so a backward through a
parameter saved before the step raises, as after torch.optim's.

Per step, a group costs a few list comprehensions over its tensors (the
parameters' identities, addresses, element counts, dtypes and layouts, and
the gradients' addresses and layouts, compared with the cached pointer table),
the version bump and one C call; the table is rebuilt only when a tensor or
the state changes (``p.data = ...``, even at the same address, another
parameter object, ``opt.state.clear()``, a new ``exp_avg`` or step count:
the next step reads the state as torch.optim would).

bf16 and f16 parameters keep f32 moments (computed in f32, as optim does);
in ``state_dict()`` they appear as float32 ``exp_avg``/``exp_avg_sq``
tensors. ``torch.optim`` loads them by casting to the parameter's dtype, and
loading a torch checkpoint here widens its moments to float32.

``moment_dtype=torch.bfloat16`` stores the moments in bf16;
``moment_dtype=torch.uint8`` stores them as 8-bit blockwise codes
(bitsandbytes' scheme, CPU): parameters of at least 4096 elements keep
uint8 ``exp_avg``/``exp_avg_sq`` codes and float32 ``exp_avg_absmax``/
``exp_avg_sq_absmax`` (one per block of 256), smaller ones float32
moments. Such a checkpoint loads into an optimizer with the same option
only (float moments are not re-coded on load).

``stochastic_rounding=seed`` rounds updated bfloat16 parameters
stochastically (an integer seed; other dtypes round as usual): the f32
result rounds up with probability (dropped bits) / 2^16, drawn from a
counter-based generator keyed by the seed, the step, the tensor and the
element, so equal seeds give equal bits on any number of threads. Updates
below half a bf16 ulp, which round-to-nearest drops, then add up in
expectation. Each tensor of a step draws from its own stream: the tensors
are numbered in group order, then in parameter order within each of the
group's step calls (one per dtype, device and step count).
"""

import ctypes
import importlib
import math
import operator
from collections import defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np
import torch

from . import _capi
from ._capi import OptimError

__all__ = ["Adam", "AdamW", "preset", "OptimError"]

_ELEMENT_TYPES = {
    torch.float16: _capi.ELEMENT_F16,
    torch.bfloat16: _capi.ELEMENT_BF16,
    torch.float32: _capi.ELEMENT_F32,
    torch.float64: _capi.ELEMENT_F64,
}
_MOMENT_DTYPES = {
    torch.float16: torch.float32,
    torch.bfloat16: torch.float32,
    torch.float32: torch.float32,
    torch.float64: torch.float64,
}
_MOMENTS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
_ABSMAXES = ("exp_avg_absmax", "exp_avg_sq_absmax")
# 8-bit moments: tensors below this many elements keep float32 moments
# (optim::kMinQuantizedElements), blocks of this many share an absmax.
MIN_8BIT_ELEMENTS = 4096
QUANT_BLOCK = 256

_grad = operator.attrgetter("grad")
_data_ptr = torch.Tensor.data_ptr
_is_contiguous = torch.Tensor.is_contiguous
_numel = torch.Tensor.numel
_dtype = operator.attrgetter("dtype")
_BUFFER_WORDS = ctypes.sizeof(_capi.ParamBuffers) // 8
# Step hooks of torch.optim (2.x; empty stand-ins for 1.13, which has none).
_torch_optimizer = importlib.import_module("torch.optim.optimizer")
_GLOBAL_PRE_HOOKS = getattr(_torch_optimizer, "_global_optimizer_pre_hooks",
                            {})
_GLOBAL_POST_HOOKS = getattr(_torch_optimizer,
                             "_global_optimizer_post_hooks", {})

# Runs with fewer elements step on the calling thread. After a forward and
# backward pass torch's OpenMP threads keep spinning for a while, and on a
# small step optim's worker threads lose more time competing with them for
# the cores than they win (measured on the digits CNN: 40 us serial, 150 us
# on two threads, for 38K elements).
SERIAL_BELOW = 1 << 20


class _Run:
    """Parameters of one group that share a compiled step and a step count:
    their pointer table (a ParamBuffers array and a numpy view of it, whose
    grad column is refreshed when gradients move) and their step tensors
    (0-d views of one float32 tensor, so a step advances them in one op)."""

    __slots__ = ("step", "positions", "array", "table", "count", "t",
                 "steps", "steps_np", "steps_version", "serial", "param_size",
                 "moment_sizes")


class _Plan:
    """The cached pointer table of one parameter group. It is valid while
    the group holds the same parameter objects (members) with the same
    address, element count, dtype and layout (see _layout_of) each, and
    gradients at the same addresses in the same layouts (torch's grad
    setter keeps their shape and dtype the parameter's). A gradient laid
    out otherwise than its parameter (contiguous for a transposed one, an
    expand's zero strides) steps from a copy in the parameter's layout,
    made anew at every step: `scratch` holds (table position, copy,
    parameter index) triples."""

    __slots__ = ("group", "params", "key", "param_ptrs", "grad_ptrs",
                 "present", "complete", "runs", "scalars", "numels",
                 "dtypes", "state_refs", "state_map", "state_version",
                 "fresh", "members", "param_numels", "param_dtypes",
                 "param_layout", "grad_layout", "bump", "scratch")


class _Versioned:
    """The mutators that every versioned container shares: each one bumps
    the version (_bump) after doing what the container's own does."""

    __slots__ = ()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._bump()

    def pop(self, *args):
        self._bump()
        return super().pop(*args)

    def popitem(self):
        self._bump()
        return super().popitem()

    def clear(self):
        super().clear()
        self._bump()

    def __ior__(self, other):
        self.update(other)
        return self


class _ParamState(_Versioned, dict):
    """One parameter's state. Setting or removing an entry bumps its owner's
    version (see _StateMap); a tensor changed in place needs nothing, since
    the tables point at its memory."""

    __slots__ = ("owner",)

    def __init__(self, owner, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def _bump(self):
        self.owner.version += 1

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._bump()

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._bump()

    def setdefault(self, key, default=None):
        self._bump()
        return super().setdefault(key, default)

    def __reduce__(self):
        return dict, (dict(self),)


class _StateMap(_Versioned, defaultdict):
    """``optimizer.state``: torch's defaultdict(dict), with a version that
    every change of it or of a parameter's state bumps. A cached pointer
    table is valid for the version it was built at: after
    ``opt.state.clear()``, ``opt.state[p]["exp_avg"] = torch.zeros(...)``
    or a new step count the next step rebuilds it from the state as it is
    (as torch.optim would read it), never through pointers to tensors the
    state no longer holds. A dict stored here is stored as a copy (of its
    entries, not its tensors); other values as they are. The optimizer's
    own writes (the step views, fresh state) go through put_quietly, so
    that building one group's table leaves the others valid."""

    def __init__(self, items=()):
        super().__init__()
        self.version = 0
        self.default_factory = self._new_state
        for key, value in dict(items).items():
            self[key] = value

    def _new_state(self):
        return _ParamState(self)

    def _bump(self):
        self.version += 1

    def _wrap(self, value):
        if isinstance(value, dict) and (type(value) is not _ParamState
                                        or value.owner is not self):
            value = _ParamState(self, value)
        return value

    def __setitem__(self, key, value):
        super().__setitem__(key, self._wrap(value))
        self._bump()

    def put_quietly(self, key, value):
        """Stores `value` without a new version; returns what is stored."""
        value = self._wrap(value)
        super().__setitem__(key, value)
        return value

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = {} if default is None else default
        return self[key]

    def __reduce__(self):
        return _plain_state, (dict(self),)

    def __copy__(self):
        return _plain_state(self)

    copy = __copy__


def _plain_state(items):
    """torch's state container, for pickles and copies."""
    return defaultdict(dict, {k: dict(v) if isinstance(v, dict) else v
                              for k, v in items.items()})


def _storage_of(t):
    """What holds a tensor's memory (which `t.data = ...` can replace)."""
    if not isinstance(t, torch.Tensor):
        return t
    untyped = getattr(t, "untyped_storage", None)
    return untyped() if untyped else t.storage()


def _ptr_or_none(t):
    return None if t is None else t.data_ptr()


def _is_dense(t):
    """Whether t's elements fill [data_ptr, data_ptr + numel) once each: a
    contiguous tensor with its dims in some order (channels_last, a
    transpose). The step treats such memory as one flat array."""
    if t.is_contiguous():
        return True
    expected = 1
    for stride, size in sorted((st, n) for st, n in zip(t.stride(), t.shape)
                               if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _same_layout(a, b):
    """Whether a and b (of one shape) keep each element at the same offset,
    so that an elementwise step may pair them in memory order. Strides of
    dims of size 1 never move an element."""
    sa, sb = a.stride(), b.stride()
    return sa == sb or a.numel() <= 1 or all(
        x == y for n, x, y in zip(a.shape, sa, sb) if n != 1)


def _layout_of(tensors):
    """What _relaid compares: whether each tensor is contiguous, and the
    shape and strides of those that are not. (A contiguous tensor of the
    same address and element count covers the same memory; checking
    flags, not strides, allocates nothing per tensor and step, which on
    thousands of tensors spared many garbage collections.)"""
    flags = list(map(_is_contiguous, tensors))
    return flags, [(i, t.shape, t.stride())
                   for i, (t, flag) in enumerate(zip(tensors, flags))
                   if not flag]


def _relaid(tensors, layout):
    """Whether any of `tensors` is laid out otherwise than in `layout`."""
    flags, strided = layout
    if list(map(_is_contiguous, tensors)) != flags:
        return True
    return bool(strided) and any(
        tensors[i].shape != shape or tensors[i].stride() != stride
        for i, shape, stride in strided)


def _version_bumper():
    """A function that bumps the autograd version counters of a list of
    tensors (see _Plan.bump), so that autograd refuses a backward through
    a tensor the step changed after it was saved, as it does after
    torch.optim's in-place ops; and a function that makes that list from
    the tensors the step writes. The step writes through pointers, which
    torch does not see."""
    bump = getattr(torch._C, "_increment_version", None)
    if bump is not None:
        probe = torch.empty(0)
        try:
            bump([probe])  # recent torch 2.x: any iterable of tensors
        except TypeError:  # older torch 2.x: one tensor per call
            return (lambda ts: [bump(t) for t in ts]), list
        if probe._version == 1:
            return bump, list
        return (lambda ts: [bump(t) for t in ts]), list

    # torch 1.13: an in-place op on an empty view bumps its base's counter
    # and changes nothing. The views are made once per table. Tensors made
    # under inference_mode have no counter (and refuse in-place ops).
    def views(tensors):
        with torch.no_grad():
            return [t.as_strided((0,), (1,)) for t in tensors
                    if not t.is_inference()]

    def zero(ts):
        with torch.no_grad():
            torch._foreach_zero_(ts)
    return zero, views


_bump_versions, _version_handles = _version_bumper()


def _copy_grads(plan):
    """Fills the plan's gradient copies (see _Plan) from the gradients as
    they are now (a backward may have accumulated into them in place). No
    graph records the copy (a create_graph gradient requires grad)."""
    params = plan.params
    with torch.no_grad():
        for _, copy, i in plan.scratch:
            copy.copy_(params[i].grad)


def _check_extensions(max_grad_norm, moment_dtype, stochastic_rounding=None):
    """optim's options beyond torch's: fused global-norm clipping, the
    moments' storage dtype and stochastic rounding of bf16 parameters."""
    if stochastic_rounding is not None and not (
            isinstance(stochastic_rounding, int)
            and not isinstance(stochastic_rounding, bool)
            and 0 <= stochastic_rounding < 2**64):
        raise ValueError(f"stochastic_rounding must be a seed (an integer "
                         f"in [0, 2**64)) or None, got "
                         f"{stochastic_rounding!r}")
    if max_grad_norm is not None and not (
            isinstance(max_grad_norm, (int, float)) and max_grad_norm >= 0):
        raise ValueError(f"max_grad_norm must be a number >= 0 or None, got "
                         f"{max_grad_norm!r}")
    if moment_dtype not in (None, torch.float32, torch.bfloat16,
                            torch.uint8):
        raise ValueError(f"moment_dtype must be None, torch.float32, "
                         f"torch.bfloat16 or torch.uint8 (8-bit blockwise), "
                         f"got {moment_dtype!r}")


def _zeros_as(p, dtype):
    """A fresh moment of p: zeros in p's layout (as torch.optim's
    zeros_like(p, memory_format=torch.preserve_format))."""
    return torch.zeros_like(p, dtype=dtype,
                            memory_format=torch.preserve_format,
                            requires_grad=False)


def _num_blocks(p):
    return (p.numel() + QUANT_BLOCK - 1) // QUANT_BLOCK


def _check_absmaxes(where, p, state, dtype):
    """8-bit moments come with their absmaxes (and only they do)."""
    for name in _ABSMAXES:
        t = state.get(name)
        if dtype != torch.uint8:
            if t is not None:
                raise ValueError(f"{where}: state has {name!r} but its "
                                 f"moments are {dtype}, not 8-bit codes")
            continue
        if (not isinstance(t, torch.Tensor) or t.dtype != torch.float32
                or t.shape != (_num_blocks(p),) or t.device != p.device
                or not t.is_contiguous()):
            raise ValueError(f"{where}: state {name!r} must be a contiguous "
                             f"float32 tensor of {_num_blocks(p)} absmaxes "
                             f"on {p.device}")


def _moment_dtype(p, group):
    """The dtype of p's moments in `group`: bfloat16 storage, or uint8 codes
    for tensors of at least MIN_8BIT_ELEMENTS, where the group asks for it
    (f16/bf16/f32 parameters; an f64 parameter's step rejects it), otherwise
    the step's compute type."""
    asked = group.get("moment_dtype")
    if asked == torch.bfloat16:
        return torch.bfloat16
    if asked == torch.uint8 and p.numel() >= MIN_8BIT_ELEMENTS:
        return torch.uint8
    return _MOMENT_DTYPES.get(p.dtype)  # None: rejected by the caller


class _AdamBase(torch.optim.Optimizer):
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=0.0, amsgrad=False, *, maximize=False,
                 foreach=None, fused=None, capturable=False,
                 differentiable=False, bias_correction="standard",
                 decay_rate="lr", rescale_grad=None, clip_gradient=None,
                 max_grad_norm=None, moment_dtype=None,
                 stochastic_rounding=None, compiler=None,
                 decoupled_weight_decay=False):
        # A Tensor lr stays in the group, as in torch.optim: schedulers
        # change it in place (fill_), and each step reads it.
        if isinstance(lr, torch.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if capturable or differentiable:
            raise ValueError("optim.torch optimizers are not capturable or "
                             "differentiable")
        decoupled_weight_decay = bool(decoupled_weight_decay)
        self._check_schedule(bias_correction, decay_rate,
                             decoupled_weight_decay)
        _check_extensions(max_grad_norm, moment_dtype, stochastic_rounding)
        if moment_dtype == torch.uint8 and amsgrad:
            raise ValueError("moment_dtype=torch.uint8 (8-bit moments) does "
                             "not support amsgrad")
        defaults = dict(lr=lr, betas=betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach,
                        capturable=False, differentiable=False,
                        fused=fused, bias_correction=bias_correction,
                        decay_rate=decay_rate, rescale_grad=rescale_grad,
                        clip_gradient=clip_gradient,
                        max_grad_norm=max_grad_norm,
                        moment_dtype=moment_dtype,
                        stochastic_rounding=stochastic_rounding,
                        decoupled_weight_decay=decoupled_weight_decay)
        # clip_grad_norm_'s result at the last step (max_grad_norm groups).
        self.last_grad_norm = None
        self._compiler = compiler or _capi.default_compiler()
        self._plans = []
        self._written = None  # see _check_overlap
        super().__init__(params, defaults)
        self.state = _StateMap(self.state)

    def _check_schedule(self, bias_correction, decay_rate, decoupled):
        """The bias correction and decay rate a group runs."""
        if bias_correction not in _capi.BIAS_CORRECTION:
            raise ValueError(f"bias_correction must be one of "
                             f"{sorted(_capi.BIAS_CORRECTION)}, got "
                             f"{bias_correction!r}")
        if decay_rate not in _capi.DECAY_RATE:
            raise ValueError(f"decay_rate must be one of "
                             f"{sorted(_capi.DECAY_RATE)}, got {decay_rate!r}")
        if decay_rate != "lr" and not decoupled:
            raise ValueError("decay_rate applies to decoupled weight decay "
                             "(AdamW, or Adam with decoupled_weight_decay="
                             "True) only")

    def _prepare(self, group):
        """Compiles (or loads) the group's steps now rather than in its first
        step() (the compiler caches them per configuration)."""
        key = self._group_key(group)
        for kind in {(p.dtype, p.device.type) for p in group["params"]}:
            dtype, device = kind
            if dtype in _ELEMENT_TYPES and device in ("cpu", "cuda"):
                self._compiler.get_step(
                    self._config(key, dtype, torch.device(device)))

    # -- torch.optim.Optimizer interface --------------------------------

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key in ("bias_correction", "decay_rate", "rescale_grad",
                        "clip_gradient", "maximize", "amsgrad",
                        "max_grad_norm", "moment_dtype",
                        "stochastic_rounding"):
                group.setdefault(key, self.defaults.get(key))
            # torch.optim's rule: AdamW always decouples, Adam where the
            # group says so (a checkpoint without the key: it does not).
            group["decoupled_weight_decay"] = self._decoupled or bool(
                group.get("decoupled_weight_decay", False))
        if not hasattr(self, "_compiler"):
            self._compiler = _capi.default_compiler()
        self.state = _StateMap(self.state)
        self.last_grad_norm = None
        self._plans = []
        self._written = None  # see _check_overlap

    def __getstate__(self):
        return {"defaults": self.defaults,
                "state": _plain_state(self.state),
                "param_groups": self.param_groups}

    def __deepcopy__(self, memo):
        # As deepcopy through __getstate__ (no tables: the clone builds its
        # own at its first step), but with this optimizer's compiler, which
        # is shared: it owns a C handle, and refuses to be copied.
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        clone._compiler = self._compiler
        clone.__setstate__(deepcopy(self.__getstate__(), memo))
        return clone

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        self._prepare(self.param_groups[-1])
        self._plans = []
        self._written = None  # see _check_overlap

    def state_dict(self):
        state_dict = super().state_dict()
        # Step tensors are views of one tensor per run; a checkpoint holds
        # independent 0-d tensors, as torch's does (in new dicts: those of
        # torch's state_dict are the live per-parameter state).
        packed = {}
        for key, value in state_dict["state"].items():
            value = dict(value)
            step = value.get("step")
            if isinstance(step, torch.Tensor):
                value["step"] = step.clone()
            packed[key] = value
        state_dict["state"] = packed
        return state_dict

    def load_state_dict(self, state_dict):
        """Loads a checkpoint of this class or of torch.optim.Adam/AdamW.

        Moments are converted to optim's moment dtype (float32 for f16/bf16
        parameters) from the checkpoint's own tensors. Everything is checked
        before anything changes. Hooks run as in torch.optim (2.x): the
        pre-hooks first, each given the state dict (a shallow copy) and
        returning None or the one to load; the post-hooks once all of it,
        the converted state included, is in place."""
        pre = getattr(self, "_optimizer_load_state_dict_pre_hooks", None)
        post = getattr(self, "_optimizer_load_state_dict_post_hooks", None)
        state_dict = state_dict.copy()
        for hook in list((pre or {}).values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        saved_groups = state_dict["param_groups"]
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of "
                             "parameter groups")
        for group, saved in zip(groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter "
                                 "group that doesn't match the size of "
                                 "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"]
                                              for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        amsgrad_of, dtype_of = {}, {}
        for index, (group, saved) in enumerate(zip(groups, saved_groups)):
            # The loaded group's options replace this one's (torch's rule),
            # its moment dtype among them; options it lacks (a torch.optim
            # checkpoint has none of optim's) are this optimizer's defaults,
            # as __setstate__ fills them in.
            options = {key: saved.get(key, self.defaults.get(key))
                       for key in ("amsgrad", "max_grad_norm",
                                   "moment_dtype", "stochastic_rounding",
                                   "bias_correction", "decay_rate")}
            decoupled = self._decoupled or bool(
                saved.get("decoupled_weight_decay", False))  # __setstate__
            try:
                _check_extensions(options["max_grad_norm"],
                                  options["moment_dtype"],
                                  options["stochastic_rounding"])
                self._check_schedule(options["bias_correction"],
                                     options["decay_rate"], decoupled)
            except ValueError as e:
                raise ValueError(f"loaded parameter group {index}: {e}")
            if options["moment_dtype"] == torch.uint8 and options["amsgrad"]:
                raise ValueError(f"loaded parameter group {index}: 8-bit "
                                 f"moments do not support amsgrad")
            for p in group["params"]:
                amsgrad_of[p] = bool(options["amsgrad"])
                dtype_of[p] = _moment_dtype(p, options)
        converted = {}
        for key, value in state_dict["state"].items():
            p = id_map.get(key)
            if p is None:
                continue
            converted[p] = self._convert_state(p, value, amsgrad_of[p], key,
                                               dtype_of[p])
        # torch's load_state_dict would run the hooks again, and the
        # post-hooks before the converted state is in: it runs without them.
        hooks = {}
        for name, hooked in (("pre", pre), ("post", post)):
            if hooked:
                name = f"_optimizer_load_state_dict_{name}_hooks"
                hooks[name] = hooked
                setattr(self, name, type(hooked)())
        try:
            super().load_state_dict(state_dict)
        finally:
            for name, hooked in hooks.items():
                setattr(self, name, hooked)
        for p, value in converted.items():
            self.state[p] = value
        self._plans = []
        self._written = None  # see _check_overlap
        for hook in list((post or {}).values()):
            hook(self)

    def _convert_state(self, p, value, amsgrad, key, dtype):
        if not isinstance(value, dict):
            raise ValueError(f"state of parameter {key} is not a dict")
        if p.dtype not in _ELEMENT_TYPES:
            raise TypeError(f"optim: parameter {key} has unsupported dtype "
                            f"{p.dtype}")
        out = dict(value)
        step = value.get("step", 0)
        step = float(step.item() if isinstance(step, torch.Tensor) else step)
        if not (step >= 0 and step == math.floor(step) and step <= 2**53):
            raise ValueError(f"state of parameter {key}: step {step} is not "
                             f"a count of steps")
        out["step"] = torch.tensor(step, dtype=torch.float32)
        names = _MOMENTS if amsgrad else _MOMENTS[:2]
        for name in names:
            t = value.get(name)
            if not isinstance(t, torch.Tensor):
                raise ValueError(f"state of parameter {key} has no tensor "
                                 f"{name!r}")
            if t.shape != p.shape:
                raise ValueError(f"state of parameter {key}: {name} has shape "
                                 f"{tuple(t.shape)}, the parameter "
                                 f"{tuple(p.shape)}")
            if (dtype == torch.uint8) != (t.dtype == torch.uint8):
                raise ValueError(
                    f"state of parameter {key}: {name} is {t.dtype}, but "
                    f"this optimizer keeps {dtype} moments for it (8-bit "
                    f"codes load only into an optimizer with "
                    f"moment_dtype=torch.uint8, and are not re-coded)")
            # Laid out as the parameter (the step pairs them in memory
            # order): contiguous, or channels_last and the like.
            out[name] = torch.empty_like(
                p, dtype=dtype, memory_format=torch.preserve_format,
                requires_grad=False).copy_(t.detach())
        for name in _ABSMAXES:
            if isinstance(value.get(name), torch.Tensor):
                out[name] = value[name].detach().to(
                    device=p.device, dtype=torch.float32,
                    memory_format=torch.contiguous_format, copy=True)
        _check_absmaxes(f"state of parameter {key}", p, out, dtype)
        for name in _ABSMAXES:
            # An absmax scales its block's codes: a negative or non-finite
            # one is no state a step writes (the C++ import refuses it too).
            t = out.get(name)
            if t is not None and not bool(
                    (torch.isfinite(t) & (t >= 0)).all()):
                raise ValueError(f"state of parameter {key}: {name} holds "
                                 f"a negative or non-finite absmax")
        return out

    def step(self, closure=None):
        """One step over every parameter that has a gradient.

        A rejected step (a bad tensor or hyperparameter) raises before any
        parameter, moment or step count changes."""
        # torch's step wrapper (profile_hook_step) is not installed (see
        # `hooked` below): its record_function costs more than a whole small
        # step. Step hooks run here, as torch runs them.
        pre = self.__dict__.get("_optimizer_step_pre_hooks")
        post = self.__dict__.get("_optimizer_step_post_hooks")
        if pre or post or _GLOBAL_PRE_HOOKS or _GLOBAL_POST_HOOKS:
            return self._step_with_hooks(closure)
        return self._step(closure)

    def _step_with_hooks(self, closure):
        args, kwargs = (self,), {}
        if closure is not None:
            kwargs["closure"] = closure
        for hook in chain(_GLOBAL_PRE_HOOKS.values(),
                          self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"a step pre-hook must return None or a tuple of "
                        f"(new_args, new_kwargs), but got {result}.")
        out = self._step(*args[1:], **kwargs)
        for hook in chain(self._optimizer_step_post_hooks.values(),
                          _GLOBAL_POST_HOOKS.values()):
            hook(self, args, kwargs)
        return out

    def _step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        groups = self.param_groups
        plans = self._plans
        if len(plans) != len(groups):
            plans = self._plans = [None] * len(groups)
        calls = 0
        rebuilt = False  # a table was built this step
        regrad = False  # a table was given new gradients
        created = []  # state this step created, undone if it is rejected
        state = self.state
        if type(state) is not _StateMap:  # the caller assigned a new one
            state = self.state = _StateMap(state)
        try:
            for i, group in enumerate(groups):
                params = group["params"]
                grads = list(map(_grad, params))
                plan = plans[i]
                key = self._group_key(group)
                # The table holds each parameter's address, element count,
                # type and layout, and its state is the object's: a
                # parameter shrunk or retyped in place (p.data = ..., at
                # the same address) or another object in its place (even
                # over the same memory) rebuilds it.
                if (plan is None or plan.group is not group
                        or plan.params is not params or plan.key != key
                        or list(map(_data_ptr, params)) != plan.param_ptrs
                        or not all(map(operator.is_, params, plan.members))
                        or list(map(_numel, params)) != plan.param_numels
                        or list(map(_dtype, params)) != plan.param_dtypes
                        or _relaid(params, plan.param_layout)
                        or plan.state_map is not state
                        or plan.state_version != state.version
                        or any(run.steps._version != run.steps_version
                               for run in plan.runs)):
                    # (the last: a step tensor changed in place; torch
                    # counts in-place ops on views, not numpy's += below)
                    plan = plans[i] = None
                    plan = plans[i] = self._build_plan(group, grads, key)
                    rebuilt = True
                else:
                    try:
                        grad_ptrs = list(map(_data_ptr, grads))
                        complete = True
                    except TypeError:  # some parameters have no gradient
                        grad_ptrs = list(map(_ptr_or_none, grads))
                        complete = False
                    except RuntimeError:
                        # A gradient without storage (sparse): the checks
                        # of a rebuild say which, and why.
                        plan = plans[i] = self._build_plan(group, grads, key)
                        grad_ptrs = plan.grad_ptrs
                        complete = plan.complete
                        rebuilt = True
                    # A new gradient at the old one's address (freed and
                    # reused) may be laid out otherwise.
                    if grad_ptrs != plan.grad_ptrs or _relaid(
                            grads if complete else
                            [g for g in grads if g is not None],
                            plan.grad_layout):
                        # Until the new gradients pass their checks the
                        # table is not valid.
                        plans[i] = None
                        old, plan = plan, self._refresh_grads(
                            plan, group, grads, grad_ptrs, complete, key)
                        plans[i] = plan
                        if plan is old:
                            regrad = True
                        else:
                            rebuilt = True
                if plan.scratch:
                    # Before the norm pass too (it reads the grad column);
                    # the copies are the optimizer's own memory, so a step
                    # rejected later has changed nothing of the caller's.
                    _copy_grads(plan)
                created.extend(plan.fresh)
                plan.fresh = ()
                self._fill_scalars(plan.scalars, group)
                calls += len(plan.runs)
            if calls > 1:
                # Several calls: check their buffers against each other and
                # every call's scalars before the first one writes, so that
                # a rejected step changes nothing.
                if rebuilt or self._written is None:
                    self._written = self._check_overlap(plans)
                elif regrad:
                    self._check_grads(plans, self._written)
                for plan in plans:
                    for run in plan.runs:
                        plan.scalars.step = run.t + 1
                        _capi.verify_scalars(run.step.config, plan.scalars)
            if any(plan.key[7] for plan in plans):
                self._clip(plans)
            # Every table now matches the state, whichever built it last.
            for plan in plans:
                plan.state_map = state
                plan.state_version = state.version
        except BaseException:
            # A rejected step creates no state, in any group; the tables
            # that point at it go too.
            for p in created:
                self.state.pop(p, None)
            if created:
                self._plans = []
                self._written = None
            raise
        for plan in plans:
            if plan.bump:
                _bump_versions(plan.bump)
        stream = 0
        for plan in plans:
            scalars = plan.scalars
            for run in plan.runs:
                scalars.step = run.t + 1
                # Stochastic rounding: a fresh draw per step, a stream per
                # tensor (read only by bf16 steps that round).
                scalars.roundingOffset = run.t + 1
                scalars.roundingStream = stream
                stream += run.count
                run.step.run(run.array, run.count, scalars, run.serial)
                run.t += 1
                run.steps_np += 1
        return loss

    def _clip(self, plans):
        """clip_grad_norm_ over every group with max_grad_norm: one norm
        pass over their gradients (in C), before any parameter changes."""
        squared = 0.0
        for plan in plans:
            if plan.key[7]:
                for run in plan.runs:
                    plan.scalars.step = run.t + 1
                    squared += run.step.grad_squared_norm(
                        run.array, run.count, plan.scalars)
        norm = math.sqrt(squared)
        for plan in plans:
            if plan.key[7]:
                plan.scalars.gradNorm = norm
        self.last_grad_norm = norm

    # -- the pointer table ----------------------------------------------

    def _group_key(self, group):
        wd = group["weight_decay"]
        return (bool(group["amsgrad"]), bool(group["maximize"]), wd != 0,
                group.get("bias_correction", "standard"),
                group.get("decay_rate", "lr"),
                group.get("rescale_grad") is not None,
                group.get("clip_gradient") is not None,
                group.get("max_grad_norm") is not None,
                group.get("moment_dtype"),
                group.get("stochastic_rounding") is not None,
                bool(group.get("decoupled_weight_decay", self._decoupled)))

    def _config(self, key, dtype, device):
        (amsgrad, maximize, decay, bias, rate, rescale, clip, clip_norm,
         moment_dtype, rounding, decoupled) = key
        c = _capi.StepConfig()
        c.biasCorrection = _capi.BIAS_CORRECTION[bias]
        if not decay:
            c.weightDecay = _capi.WEIGHT_DECAY_NONE
        elif decoupled:  # AdamW's, or Adam(decoupled_weight_decay=True)
            c.weightDecay = _capi.WEIGHT_DECAY_DECOUPLED
            c.decayRate = _capi.DECAY_RATE[rate]
        else:
            c.weightDecay = _capi.WEIGHT_DECAY_L2
        c.amsgrad, c.maximize = amsgrad, maximize
        c.rescaleGrad, c.clipGradient = rescale, clip
        c.clipGradNorm = clip_norm
        c.momentStorage = {torch.bfloat16: _capi.MOMENTS_BF16,
                           torch.uint8: _capi.MOMENTS_BLOCKWISE8}.get(
                               moment_dtype, _capi.MOMENTS_COMPUTE)
        c.paramType = _ELEMENT_TYPES[dtype]
        # Only bf16 parameters have bits to round stochastically.
        c.stochasticRounding = rounding and dtype == torch.bfloat16
        if device.type == "cuda":
            c.target = _capi.TARGET_GPU
        return c

    def _fill_scalars(self, s, group):
        lr = group["lr"]
        s.lr = lr.item() if isinstance(lr, torch.Tensor) else lr
        s.beta1, s.beta2 = group["betas"]
        s.eps = group["eps"]
        s.weightDecay = group["weight_decay"]
        rescale = group.get("rescale_grad")
        if rescale is not None:
            s.rescaleGrad = rescale
        clip = group.get("clip_gradient")
        if clip is not None:
            s.clipGradient = clip
        bound = group.get("max_grad_norm")
        if bound is not None:
            s.maxGradNorm = bound
        seed = group.get("stochastic_rounding")
        if seed is not None:
            _check_extensions(None, None, seed)
            s.roundingSeed = seed

    def _refresh_grads(self, plan, group, grads, grad_ptrs, complete, key):
        """New gradient tensors for an unchanged group: check them and
        rewrite the grad column of the table. A change of which parameters
        have gradients rebuilds the plan."""
        if complete and plan.complete:
            live, live_ptrs = grads, grad_ptrs
        else:
            present = [g is not None for g in grads]
            if present != plan.present:
                return self._build_plan(group, grads, key)
            live = [g for g in grads if g is not None]
            live_ptrs = [q for q in grad_ptrs if q is not None]
        if (_relaid(live, plan.grad_layout)
                or list(map(_numel, live)) != plan.numels
                or list(map(_dtype, live)) != plan.dtypes):
            return self._build_plan(group, grads, key)  # raises the error
        if plan.scratch:
            live_ptrs = list(live_ptrs)
            for pos, copy, _ in plan.scratch:
                live_ptrs[pos] = copy.data_ptr()
        if len(plan.runs) == 1:
            plan.runs[0].table[:, 1] = live_ptrs
        else:
            for run in plan.runs:
                run.table[:, 1] = [live_ptrs[j] for j in run.positions]
        plan.grad_ptrs = grad_ptrs
        return plan

    def _build_plan(self, group, grads, key):
        """Checks every tensor of the group and builds its pointer table.
        State of parameters stepped for the first time is created only once
        every check has passed."""
        # Not inference tensors, even in a step under inference_mode: they
        # have no version counter (the step tensors' is read) and refuse
        # the in-place updates of later steps outside it (fresh state, the
        # gradient copies).
        with torch.inference_mode(False), torch.no_grad():
            return self._check_and_build_plan(group, grads, key)

    def _check_and_build_plan(self, group, grads, key):
        params = group["params"]
        amsgrad = key[0]
        index = next(i for i, g in enumerate(self.param_groups) if g is group)
        fresh = []
        live = []
        scratch = {}  # position in live: the gradient's copy
        seen = {}  # id(p): its index in the group
        for i, (p, g) in enumerate(zip(params, grads)):
            if g is None:
                continue
            where = f"parameter {i} of group {index}"
            # torch.optim warns of these when the group is added, then
            # steps the parameter twice; its two table entries would
            # overlap.
            first = seen.setdefault(id(p), i)
            if first != i:
                raise ValueError(
                    f"{where} is parameter {first} of the group again: the "
                    f"optimizer contains a parameter group with duplicate "
                    f"parameters")
            if g.layout != torch.strided:
                if "sparse" in str(g.layout):  # coo, csr, csc, bsr, bsc
                    raise RuntimeError(
                        f"{where}: {type(self).__name__} does not support "
                        f"sparse gradients, please consider SparseAdam "
                        f"instead")
                raise RuntimeError(f"{where}: gradients of layout "
                                   f"{g.layout} are not supported")
            if p.dtype not in _ELEMENT_TYPES:
                raise TypeError(f"{where}: dtype {p.dtype} is not one of "
                                f"float16, bfloat16, float32, float64")
            if g.dtype != p.dtype or g.shape != p.shape or \
                    g.device != p.device:
                raise ValueError(
                    f"{where}: gradient {g.dtype} {tuple(g.shape)} on "
                    f"{g.device} does not match the parameter {p.dtype} "
                    f"{tuple(p.shape)} on {p.device}")
            if p.device.type not in ("cpu", "cuda"):
                raise ValueError(f"{where}: device {p.device} is not "
                                 f"supported (cpu or cuda)")
            # The step is elementwise over memory: any order of the dims
            # (channels_last) will do, if the gradient and the state share
            # it; gaps or overlaps (a strided slice, expand) will not.
            if not _is_dense(p):
                raise ValueError(
                    f"{where}: the parameter is not dense (strides "
                    f"{p.stride()} for shape {tuple(p.shape)} leave gaps "
                    f"or overlap): optim steps a tensor's memory as one "
                    f"array")
            if not _same_layout(g, p):
                # The step pairs elements in memory order: it reads a copy
                # in the parameter's layout (torch.optim's ops pair them by
                # index, whatever the layouts).
                scratch[len(live)] = torch.empty_strided(
                    p.shape, p.stride(), dtype=p.dtype, device=p.device)
            if (_moment_dtype(p, group) == torch.uint8
                    and not p.is_contiguous()):
                raise ValueError(
                    f"{where}: 8-bit moments need a contiguous parameter "
                    f"(their blocks follow memory order, which a "
                    f"checkpoint does not keep)")
            state = self.state.get(p)
            if not state:
                fresh.append(p)
            else:
                self._check_state(where, p, state, amsgrad,
                                  _moment_dtype(p, group))
            live.append((i, p, g))
        for p in fresh:
            self.state.put_quietly(
                p, self._new_state(p, amsgrad, _moment_dtype(p, group)))
        try:
            plan = self._make_plan(group, grads, key, live, scratch)
            plan.fresh = fresh
            return plan
        except BaseException:
            # A rejected step creates no state either.
            # pop: a parameter listed twice is in `fresh` twice.
            for p in fresh:
                self.state.pop(p, None)
            raise

    def _make_plan(self, group, grads, key, live, scratch):
        params = group["params"]
        amsgrad = key[0]

        # One run per (dtype, device, step count), in parameter order.
        buckets = {}
        for pos, (i, p, g) in enumerate(live):
            state = self.state[p]
            t = int(state["step"])
            buckets.setdefault((p.dtype, p.device, t), []).append(pos)
        runs = []
        for (dtype, device, t), positions in buckets.items():
            config = self._config(key, dtype, device)
            run = _Run()
            run.step = self._compiler.get_step(config)
            run.positions = positions
            run.count = len(positions)
            run.array = (_capi.ParamBuffers * max(1, run.count))()
            run.table = np.frombuffer(run.array, dtype=np.uint64).reshape(
                -1, _BUFFER_WORDS)
            run.t = t
            run.steps = torch.full((run.count,), float(t),
                                   dtype=torch.float32)
            run.steps_np = run.steps.numpy()
            run.steps_version = run.steps._version
            run.param_size = torch.empty(0, dtype=dtype).element_size()
            run.moment_sizes = np.array(
                [self.state[live[pos][1]]["exp_avg"].element_size()
                 for pos in positions], dtype=np.uint64)
            for k, pos in enumerate(positions):
                _, p, g = live[pos]
                state = self.state[p]
                b = run.array[k]
                b.param = p.data_ptr()
                b.grad = (scratch[pos] if pos in scratch else g).data_ptr()
                b.expAvg = state["exp_avg"].data_ptr()
                b.expAvgSq = state["exp_avg_sq"].data_ptr()
                b.maxExpAvgSq = (state["max_exp_avg_sq"].data_ptr()
                                 if amsgrad else None)
                if "exp_avg_absmax" in state:
                    b.expAvgAbsmax = state["exp_avg_absmax"].data_ptr()
                    b.expAvgSqAbsmax = state["exp_avg_sq_absmax"].data_ptr()
                b.numElements = p.numel()
                dict.__setitem__(state, "step", run.steps[k])
            run.serial = (run.step.config.target == _capi.TARGET_CPU
                          and sum(run.array[k].numElements
                                  for k in range(run.count)) < SERIAL_BELOW)
            runs.append(run)

        plan = _Plan()
        plan.group = group
        plan.params = params
        plan.key = key
        plan.param_ptrs = list(map(_data_ptr, params))
        plan.members = list(params)
        plan.param_numels = list(map(_numel, params))
        plan.param_dtypes = list(map(_dtype, params))
        plan.param_layout = _layout_of(params)
        plan.grad_layout = _layout_of([g for _, _, g in live])
        plan.grad_ptrs = list(map(_ptr_or_none, grads))
        plan.present = [g is not None for g in grads]
        plan.complete = all(plan.present)
        plan.numels = [g.numel() for _, _, g in live]
        plan.dtypes = [g.dtype for _, _, g in live]
        plan.runs = runs
        plan.scratch = [(pos, copy, live[pos][0])
                        for pos, copy in scratch.items()]
        # The state tensors the table points at and their storages, held
        # so that their memory stays valid whatever happens to the state; a
        # change of the state (its version) rebuilds the table. (Swapping a
        # moment's storage in place, `exp_avg.data = ...`, is not seen: the
        # step then updates the old storage, which stays allocated.)
        plan.state_refs = [(v, _storage_of(v)) for _, p, _ in live
                           for v in self.state[p].values()]
        # The parameters' autograd version counters: a backward through a
        # graph that saved a parameter this step then rewrote is refused.
        # Moments are not bumped (they are in no graph, and at 10,000
        # tensors their bump would cost a third of the step); nor are the
        # step counts (their own counter tells of in-place edits).
        plan.bump = _version_handles([p for _, p, _ in live])
        plan.state_map = None
        plan.state_version = -1
        plan.fresh = ()
        # Unchecked fields (see _capi): the ints are the plan's counters and
        # the checked seed, the hyperparameters go to C's checks.
        plan.scalars = _capi._UncheckedStepScalars()
        s = plan.scalars
        s.rescaleGrad, s.clipGradient, s.gradScale = 1.0, -1.0, 1.0
        # Check buffers (null, alignment, overlap within a run) and scalars
        # now, with found_inf set so that nothing is written.
        self._fill_scalars(s, group)
        s.foundInf = 1.0
        try:
            for run in runs:
                s.step = run.t + 1
                run.step.run(run.array, run.count, s)
        finally:
            s.foundInf = 0.0
        return plan

    def _check_state(self, where, p, state, amsgrad, dtype):
        names = _MOMENTS if amsgrad else _MOMENTS[:2]
        for name in names:
            t = state.get(name)
            if t is None and name == "max_exp_avg_sq":
                # AMSGrad turned on after some steps: start its maximum at 0,
                # as torch.optim's first AMSGrad step would find it.
                dict.__setitem__(state, name, _zeros_as(p, dtype))
                continue
            if not isinstance(t, torch.Tensor):
                raise ValueError(f"{where}: state has no tensor {name!r}")
            if (t.dtype != dtype or t.shape != p.shape
                    or t.device != p.device or not _same_layout(t, p)):
                raise ValueError(
                    f"{where}: state {name!r} is {t.dtype} "
                    f"{tuple(t.shape)} on {t.device} with strides "
                    f"{t.stride()}, expected {dtype} {tuple(p.shape)} on "
                    f"{p.device} laid out as the parameter (strides "
                    f"{p.stride()})")
        step = state.get("step")
        if step is None:
            raise ValueError(f"{where}: state has no 'step'")
        _check_absmaxes(where, p, state, dtype)

    @staticmethod
    def _new_state(p, amsgrad, dtype):
        state = {
            "step": torch.tensor(0.0),
            "exp_avg": _zeros_as(p, dtype),
            "exp_avg_sq": _zeros_as(p, dtype),
        }
        if amsgrad:
            state["max_exp_avg_sq"] = _zeros_as(p, dtype)
        if dtype == torch.uint8:
            # Zero codes under zero absmaxes are fresh moments.
            for name in _ABSMAXES:
                state[name] = torch.zeros(_num_blocks(p), dtype=torch.float32,
                                          device=p.device)
        return state

    @staticmethod
    def _extents(plans, columns):
        """The byte extents [begin, end) of the plans' non-empty buffers in
        table `columns`, each with whether the step writes it. A buffer is
        its elements' bytes: the parameter type's for p and g, the moments'
        own (4, 2 or 1), one float per block of 256 for the absmaxes."""
        begins, ends, written = [], [], []
        for plan in plans:
            for run in plan.runs:
                table = run.table[:run.count]
                n = table[:, 5]
                for column in columns:
                    if column <= 1:
                        size = n * np.uint64(run.param_size)
                    elif column <= 4:
                        size = n * run.moment_sizes
                    else:  # the absmaxes
                        size = ((n + np.uint64(QUANT_BLOCK - 1))
                                // np.uint64(QUANT_BLOCK) * np.uint64(4))
                    ptr = table[:, column]
                    keep = (ptr != 0) & (n != 0)
                    begins.append(ptr[keep])
                    ends.append(ptr[keep] + size[keep])
                    written.append(np.full(int(keep.sum()), column != 1))
        if not begins:
            empty = np.zeros(0, dtype=np.uint64)
            return empty, empty, np.zeros(0, dtype=bool)
        return (np.concatenate(begins), np.concatenate(ends),
                np.concatenate(written))

    @classmethod
    def _check_overlap(cls, plans):
        """No written buffer may overlap another buffer of any call (the C
        API checks within one call; this covers the calls of every run of
        every group). Returns the written buffers, sorted, for
        _check_grads."""
        begin, end, is_written = cls._extents(plans, (0, 1, 2, 3, 4, 6, 7))
        order = np.argsort(begin, kind="stable")
        begin, end, is_written = begin[order], end[order], is_written[order]
        if begin.size > 1:
            # Sorted by start, an extent overlaps an earlier one when it
            # starts before the furthest end so far: of any extent if it is
            # written, of a written one if it is only read.
            end_any = np.maximum.accumulate(end)[:-1]
            end_written = np.maximum.accumulate(
                np.where(is_written, end, np.uint64(0)))[:-1]
            later = begin[1:]
            if np.any(np.where(is_written[1:], later < end_any,
                               later < end_written)):
                raise ValueError("optim: buffers of different parameters "
                                 "overlap")
        written_begin = begin[is_written]
        return written_begin, np.maximum.accumulate(end[is_written])

    @classmethod
    def _check_grads(cls, plans, written):
        """New gradients of unchanged tables: only they can overlap now,
        and only a written buffer (gradients are read)."""
        written_begin, written_end = written
        begin, end, _ = cls._extents(plans, (1,))
        if not begin.size or not written_begin.size:
            return
        # The last written buffer starting before each gradient ends; the
        # furthest end of those up to it must not pass the gradient's start.
        last = np.searchsorted(written_begin, end, side="left") - 1
        hit = last >= 0
        if np.any(written_end[last[hit]] > begin[hit]):
            raise ValueError("optim: buffers of different parameters "
                             "overlap")


# torch.compile must not trace the step: the adapter writes the gradients'
# addresses into its ctypes table through numpy, a write that traced code
# (aot_eager, inductor) does not perform, and the kernel then read freed
# gradients (a segfault). torch 1.13 has no torch.compile.
_no_compile = getattr(getattr(torch, "compiler", None), "disable", None)
if _no_compile is not None:
    _AdamBase.step = _no_compile(_AdamBase.step)
# torch.optim.Optimizer wraps a class's step once, unless it is `hooked`.
_AdamBase.step.hooked = True


class Adam(_AdamBase):
    """torch.optim.Adam (L2 weight decay: ``g += weight_decay * p``; with
    torch 2.x's ``decoupled_weight_decay=True`` AdamW's, as there)."""

    _decoupled = False


class AdamW(_AdamBase):
    """torch.optim.AdamW (decoupled weight decay: ``p *= 1 - lr * wd``)."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=1e-2, amsgrad=False, **kwargs):
        if "decoupled_weight_decay" in kwargs:  # as torch.optim.AdamW
            raise TypeError("AdamW takes no decoupled_weight_decay: its "
                            "weight decay is always decoupled")
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         decoupled_weight_decay=True, **kwargs)


def preset(name, params, **kwargs):
    """The optimizer of a framework preset of SEMANTICS.md, with that
    framework's defaults (overridable by keyword):

    - ``torch.adam``, ``torch.adamw``: Adam, AdamW;
    - ``mindspore.adam_weight_decay``: AdamW without bias correction;
    - ``mindspore.apply_adam_with_amsgrad_v2``: Adam with AMSGrad and folded
      bias correction (the powers beta^t come from the step count);
    - ``mxnet.adamw``: AdamW with folded bias correction, decay by the
      effective lr, ``rescale_grad`` and ``clip_gradient`` (``correct_bias=
      False`` selects no bias correction);
    - ``brainpy.adamw``: AdamW with folded bias correction.
    """
    s = _capi.preset_scalars(name)
    options = dict(lr=s.lr, betas=(s.beta1, s.beta2), eps=s.eps,
                   weight_decay=s.weightDecay)
    cls = AdamW
    if name == "torch.adam":
        cls = Adam
    elif name == "mindspore.adam_weight_decay":
        options.update(bias_correction="none")
    elif name == "mindspore.apply_adam_with_amsgrad_v2":
        cls = Adam
        options.update(amsgrad=True, bias_correction="folded")
    elif name == "mxnet.adamw":
        correct_bias = kwargs.pop("correct_bias", True)
        options.update(bias_correction="folded" if correct_bias else "none",
                       decay_rate="effective", rescale_grad=1.0,
                       clip_gradient=-1.0)
    elif name == "brainpy.adamw":
        options.update(bias_correction="folded")
    options.update(kwargs)
    return cls(params, **options)
