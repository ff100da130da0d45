#!/usr/bin/env python3
"""Generates optim's golden optimizer-step cases, and checks existing ones.

The cases use the JSON format of ../../../shared/golden/README.md (summarised
in README.md beside this script). Two kinds of reference produce the expected
state:

  torch_*   PyTorch's own torch.optim.Adam / AdamW (foreach=False), run in
            the case's dtype. Needs torch (Debian: python3-torch; the shared
            corpus was made with 1.13).
  others    a float64 reference of each framework's documented formula
            (../../../shared/spec/SEMANTICS.md); f32 inputs are rounded to
            f32 first. Needs only numpy.

Usage:
  generate_golden.py                       write every case of cases() into golden/
                                           and of clip_cases() into golden-clip/
  generate_golden.py --only NAME ...       only these cases
  generate_golden.py --out DIR             somewhere else
  generate_golden.py --check FILE ...      recompute each file's expected state
                                           from its inputs; fail if it is not
                                           within the file's tolerance
  generate_golden.py --list                the cases this script defines

Global-norm clipping (clip_cases()): `max_grad_norm` clips every step's
gradients to that global L2 norm as torch.nn.utils.clip_grad_norm_ does, after
unscaling them by `grad_scale` when it is given (AMP: `grads` then holds the
scaled gradients the GradScaler hands over); `expected_grad_norm` records the
norm of each step, as clip_grad_norm_ returns it.

8-bit blockwise moments (blockwise8_cases(), written into golden-8bit/):
`config.moment_storage` is "blockwise8" and the expected state comes from
run_blockwise_reference, a float64 reference of the exact algorithm of
include/optim/Support/BlockwiseQuant.h: per block of 256 elements, decode
(map[code] * absmax), the step in float64, the block's new absmax (max |x|,
stored as f32), and the code of x / absmax (the number of f32 midpoints
below it). `expected` holds the decoded moments (m, v) and, as
`m_codes`/`v_codes`/`m_absmax`/`v_absmax`, the stored state. The maps are
bitsandbytes' create_dynamic_map, computed here with torch;
`--check-tables HEADER` compares them (and the midpoints) with the tables
compiled into optim.

The checked-in JSON is what CI runs (optim-conformance); CI never needs torch.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

try:
    import torch
except ImportError:  # Reference cases still work; torch_* cases need it.
    torch = None

HERE = os.path.dirname(os.path.abspath(__file__))
STATES = ("param", "m", "v", "vmax")
FLT_MAX = float(np.finfo(np.float32).max)

# Tolerances of the shared corpus: f32 runs against an f32 or f64-of-f32
# reference, f64 runs against an f64 one.
TOLERANCE = {
    "f32": {"rtol": 2e-05, "atol": 2e-06},
    "f64": {"rtol": 1e-11, "atol": 1e-12},
}


def as_dtype(values, dtype):
    """Rounds to the case's element type and back to Python floats."""
    np_type = np.float32 if dtype == "f32" else np.float64
    return [float(x) for x in np.asarray(values, dtype=np.float64).astype(np_type)]


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------


def run_reference(case):
    """The float64 reference of ../shared/spec/SEMANTICS.md, every switch."""
    cfg = case["config"]
    f = lambda xs: np.array(as_dtype(xs, case["dtype"]), dtype=np.float64)
    p, m, v = (f(case["init"][k]) for k in ("param", "m", "v"))
    amsgrad = cfg["amsgrad"]
    vmax = f(case["init"]["vmax"]) if amsgrad else None
    b1, b2, eps, wd = cfg["beta1"], cfg["beta2"], cfg["eps"], cfg["weight_decay"]
    bias = cfg["bias_correction"]
    mode = cfg["weight_decay_mode"]
    given = "beta1_power" in cfg
    norms = []
    for i, (lr, grad) in enumerate(zip(case["lr_per_step"], case["grads"])):
        t = case["first_step"] + i
        g = f(grad)
        if "rescale_grad" in cfg:
            g = g * cfg["rescale_grad"]
        if "grad_scale" in cfg:
            g = g / cfg["grad_scale"]
        if "max_grad_norm" in cfg:
            norm = math.sqrt(float(np.sum(g * g)))
            norms.append(norm)
            g = g * min(1.0, cfg["max_grad_norm"] / (norm + 1e-6))
        if "clip_gradient" in cfg and cfg["clip_gradient"] >= 0:
            g = np.clip(g, -cfg["clip_gradient"], cfg["clip_gradient"])
        if cfg["maximize"]:
            g = -g
        if mode == "l2":
            g = g + wd * p
        if given:
            b1t = cfg["beta1_power"] * b1**i
            b2t = cfg["beta2_power"] * b2**i
        else:
            b1t, b2t = b1**t, b2**t
        if bias == "folded":
            lr_t = lr * math.sqrt(1 - b2t) / (1 - b1t)
        else:
            lr_t = lr
        if mode == "decoupled":
            eta = lr_t if cfg.get("decay_lr", "lr") == "effective" else lr
            p = p * (1 - eta * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if amsgrad:
            vmax = np.maximum(vmax, v)
        vv = vmax if amsgrad else v
        if bias == "standard":
            bc1, bc2 = 1 - b1t, 1 - b2t
            p = p - (lr / bc1) * m / (np.sqrt(vv) / math.sqrt(bc2) + eps)
        else:  # folded: lr_t; none: lr_t == lr
            p = p - lr_t * m / (np.sqrt(vv) + eps)
    out = {"param": p, "m": m, "v": v}
    if amsgrad:
        out["vmax"] = vmax
    out = {k: [float(x) for x in a] for k, a in out.items()}
    if norms:
        out["grad_norm"] = norms
    return out


QUANT_BLOCK = 256


def create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8):
    """bitsandbytes.functional.create_dynamic_map (its 8-bit default), as
    float32: per decimal exponent 10^-6 .. 10^0 the means of a linspace(0.1,
    1) grid (twice as fine without a sign), then 0 and 1, sorted."""
    data = []
    non_sign_bits = total_bits - 1
    for i in range(max_exponent_bits):
        fraction_items = int(2 ** (i + non_sign_bits - max_exponent_bits) + 1
                             if signed else
                             2 ** (i + non_sign_bits - max_exponent_bits + 1)
                             + 1)
        boundaries = torch.linspace(0.1, 1, fraction_items)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += (10 ** (-(max_exponent_bits - 1) + i) * means).tolist()
        if signed:
            data += (-10 ** (-(max_exponent_bits - 1) + i) * means).tolist()
    data.append(0)
    data.append(1.0)
    assert len(data) == 2 ** total_bits
    data.sort()
    return np.array(torch.tensor(data, dtype=torch.float32).numpy(),
                    dtype=np.float32)


def midpoints(code):
    """The f32 nearest to each pair's mean, and +inf last."""
    c = code.astype(np.float64)
    return np.append(((c[:-1] + c[1:]) / 2).astype(np.float32),
                     np.float32(np.inf))


_MAPS = {}


def quant_maps():
    """(signed map, its midpoints, unsigned map, its midpoints), float32."""
    if not _MAPS:
        if torch is None:
            raise RuntimeError("the 8-bit maps need torch")
        for signed in (True, False):
            code = create_dynamic_map(signed)
            _MAPS[signed] = (code, midpoints(code))
    return _MAPS[True] + _MAPS[False]


def quantize(x, mids, absmax32):
    """Codes of x (float64) under the f32 absmax: midpoints below x/absmax."""
    a = absmax32.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = np.where(a == 0, 0.0, x / np.where(a == 0, 1.0, a))
    return np.searchsorted(mids.astype(np.float64), normalised,
                           side="left").astype(np.int64)


def block_absmax(x):
    n = len(x)
    blocks = (n + QUANT_BLOCK - 1) // QUANT_BLOCK
    padded = np.zeros(blocks * QUANT_BLOCK)
    padded[:n] = np.abs(x)
    return padded.reshape(blocks, QUANT_BLOCK).max(axis=1).astype(np.float32)


def run_blockwise_reference(case):
    """The float64 reference of 8-bit blockwise moments (AdamW or Adam, f32
    steps, no AMSGrad): the plain step on the decoded moments, then the
    moments coded with their blocks' new absmaxes."""
    cfg = case["config"]
    signed, signed_mids, unsigned, unsigned_mids = quant_maps()
    f = lambda xs: np.array(as_dtype(xs, case["dtype"]), dtype=np.float64)
    p = f(case["init"]["param"])
    n = len(p)
    blocks = (n + QUANT_BLOCK - 1) // QUANT_BLOCK
    block_of = np.arange(n) // QUANT_BLOCK
    m_codes = np.full(n, 127)
    v_codes = np.zeros(n, dtype=np.int64)
    m_abs = np.zeros(blocks, dtype=np.float32)
    v_abs = np.zeros(blocks, dtype=np.float32)
    b1, b2, eps, wd = cfg["beta1"], cfg["beta2"], cfg["eps"], cfg["weight_decay"]
    mode = cfg["weight_decay_mode"]
    for i, (lr, grad) in enumerate(zip(case["lr_per_step"], case["grads"])):
        t = case["first_step"] + i
        g = f(grad)
        if cfg["maximize"]:
            g = -g
        if mode == "l2":
            g = g + wd * p
        m = signed[m_codes].astype(np.float64) * m_abs[block_of]
        v = unsigned[v_codes].astype(np.float64) * v_abs[block_of]
        if mode == "decoupled":
            p = p * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        p = p - (lr / bc1) * m / (np.sqrt(v) / math.sqrt(bc2) + eps)
        m_abs, v_abs = block_absmax(m), block_absmax(v)
        m_codes = quantize(m, signed_mids, m_abs[block_of])
        v_codes = quantize(v, unsigned_mids, v_abs[block_of])
    decode = lambda code, table, absmax: [
        float(x) for x in table[code].astype(np.float64) * absmax[block_of]]
    return {"param": [float(x) for x in p],
            "m": decode(m_codes, signed, m_abs),
            "v": decode(v_codes, unsigned, v_abs),
            "m_codes": [int(x) for x in m_codes],
            "v_codes": [int(x) for x in v_codes],
            "m_absmax": [float(x) for x in m_abs],
            "v_absmax": [float(x) for x in v_abs]}


def check_tables(header):
    """Compares the maps and midpoints with the bit patterns in `header`."""
    import re
    text = open(header).read()
    signed, signed_mids, unsigned, unsigned_mids = quant_maps()
    failed = 0
    for name, values in (("kSignedDynamicMapBits", signed),
                         ("kSignedDynamicMidpointBits", signed_mids),
                         ("kUnsignedDynamicMapBits", unsigned),
                         ("kUnsignedDynamicMidpointBits", unsigned_mids)):
        found = re.search(name + r"\[256\] = \{([^}]*)\}", text)
        if not found:
            print("FAIL %s: not in %s" % (name, header))
            failed += 1
            continue
        bits = [int(w, 16) for w in re.findall(r"0x[0-9a-fA-F]+",
                                               found.group(1))]
        want = [int(w) for w in values.astype(np.float32).view(np.uint32)]
        if bits != want:
            first = next(k for k in range(256) if bits[k] != want[k])
            print("FAIL %s: entry %d is 0x%08x, torch gives 0x%08x" % (
                name, first, bits[first], want[first]))
            failed += 1
        else:
            print("OK   %s: 256 entries match" % name)
    return 1 if failed else 0


def run_torch(case):
    """torch.optim.Adam / AdamW with foreach=False, in the case's dtype."""
    if torch is None:
        raise RuntimeError("torch is not installed (apt-get install python3-torch)")
    cfg = case["config"]
    if cfg["bias_correction"] != "standard" or "beta1_power" in cfg:
        raise ValueError("torch cases use standard bias correction and step counts")
    if "rescale_grad" in cfg or "clip_gradient" in cfg:
        raise ValueError("torch's Adam has no rescale_grad or clip_gradient")
    dtype = torch.float32 if case["dtype"] == "f32" else torch.float64
    tensor = lambda xs: torch.tensor(xs, dtype=dtype)
    # AMP as GradScaler.unscale_ does it: grads *= float32(1 / scale), the
    # reciprocal computed in double (torch._amp_foreach_non_finite_check_and_
    # unscale_; the CPU has no GradScaler in torch 1.13).
    inv_scale = None
    if "grad_scale" in cfg:
        inv_scale = torch.tensor(cfg["grad_scale"],
                                 dtype=torch.float64).reciprocal().float()
    param = torch.nn.Parameter(tensor(case["init"]["param"]))
    mode = cfg["weight_decay_mode"]
    kwargs = dict(lr=case["lr_per_step"][0], betas=(cfg["beta1"], cfg["beta2"]),
                  eps=cfg["eps"], weight_decay=cfg["weight_decay"],
                  amsgrad=cfg["amsgrad"], maximize=cfg["maximize"], foreach=False)
    if mode == "decoupled":
        opt = torch.optim.AdamW([param], **kwargs)
    elif mode in ("l2", "none"):
        if mode == "none" and cfg["weight_decay"] != 0:
            raise ValueError("weight_decay_mode none with a weight decay")
        opt = torch.optim.Adam([param], **kwargs)
    else:
        raise ValueError("unknown weight_decay_mode " + mode)
    # Start from the case's state: torch increments 'step' before using it.
    state = {"step": torch.tensor(float(case["first_step"] - 1)),
             "exp_avg": tensor(case["init"]["m"]),
             "exp_avg_sq": tensor(case["init"]["v"])}
    if cfg["amsgrad"]:
        state["max_exp_avg_sq"] = tensor(case["init"]["vmax"])
    opt.state[param] = state
    norms = []
    for lr, grad in zip(case["lr_per_step"], case["grads"]):
        opt.param_groups[0]["lr"] = lr
        param.grad = tensor(grad)
        if inv_scale is not None:
            param.grad.mul_(inv_scale.to(dtype))
        if "max_grad_norm" in cfg:
            norm = torch.nn.utils.clip_grad_norm_([param], cfg["max_grad_norm"])
            norms.append(float(norm))
        opt.step()
    out = {"param": param.detach(), "m": state["exp_avg"], "v": state["exp_avg_sq"]}
    if cfg["amsgrad"]:
        out["vmax"] = state["max_exp_avg_sq"]
    out = {k: [float(x) for x in t.reshape(-1).tolist()] for k, t in out.items()}
    if norms:
        out["grad_norm"] = norms
    return out


def expected_state(case):
    if case["config"].get("moment_storage") == "blockwise8":
        return run_blockwise_reference(case)
    if case["name"].startswith("torch_"):
        return run_torch(case)
    return run_reference(case)


def torch_source(cfg):
    cls = "AdamW" if cfg["weight_decay_mode"] == "decoupled" else "Adam"
    version = torch.__version__ if torch is not None else "?"
    source = "torch %s torch.optim.%s(foreach=False)" % (version, cls)
    if "max_grad_norm" in cfg:
        source = "torch %s clip_grad_norm_ + %s" % (
            version, source.split(" ", 2)[2])
        if "grad_scale" in cfg:
            source = "GradScaler.unscale_ + " + source
    return source


# ---------------------------------------------------------------------------
# Case definitions
# ---------------------------------------------------------------------------


def torch_config(mode, amsgrad=False, maximize=False, beta1=0.9, beta2=0.999,
                 eps=1e-8, weight_decay=0.0):
    return {"bias_correction": "standard", "weight_decay_mode": mode,
            "decay_lr": "lr", "amsgrad": amsgrad, "maximize": maximize,
            "beta1": beta1, "beta2": beta2, "eps": eps,
            "weight_decay": weight_decay}


def log_uniform(rng, lo, hi, size):
    """Magnitudes spread evenly over [lo, hi] in log scale, random signs."""
    mags = np.exp(rng.uniform(math.log(lo), math.log(hi), size))
    return mags * rng.choice([-1.0, 1.0], size)


def make_case(name, dtype, shape, config, grads_fn, steps, lr=1e-3,
              seed=0, source=None):
    rng = np.random.RandomState(seed)
    n = int(np.prod(shape)) if shape else 1
    init = {"param": as_dtype(rng.standard_normal(n), dtype),
            "m": [0.0] * n, "v": [0.0] * n}
    if config["amsgrad"]:
        init["vmax"] = [0.0] * n
    grads = [as_dtype(grads_fn(rng, n, step), dtype) for step in range(steps)]
    case = {"name": name, "source": source, "dtype": dtype, "shape": shape,
            "config": config, "first_step": 1, "lr_per_step": [lr] * steps,
            "init": init, "grads": grads, "expected": None,
            "tolerance": TOLERANCE[dtype]}
    if source is None:
        case["source"] = torch_source(config)
    return case


def large_f32(lo, hi):
    # (1 - beta2) * (g * g) overflows f32 for |g| > 1.84e19, while PyTorch's
    # addcmul order ((1 - beta2) * g) * g stays finite up to |g| ~ 5.8e20.
    return lambda rng, n, step: log_uniform(rng, lo, hi, n)


def small(lo, hi):
    # g * g underflows (to zero or a subnormal); m keeps the gradient.
    return lambda rng, n, step: log_uniform(rng, lo, hi, n)


def clipped(config, max_grad_norm, grad_scale=None):
    config = dict(config, max_grad_norm=max_grad_norm)
    if grad_scale is not None:
        config["grad_scale"] = grad_scale
    return config


def scaled_normal(scale, growth=1.0):
    """Standard normal gradients times `scale * growth**step` (AMP: the loss
    scale; growth makes the norm cross the clipping bound over the steps)."""
    return lambda rng, n, step: rng.standard_normal(n) * scale * growth**step


def clip_cases():
    """Global-norm clipping (torch.nn.utils.clip_grad_norm_) before the step,
    with and without AMP's loss scale, active, inactive and both in turn."""
    return [
        # |g| ~ sqrt(64) = 8 > 1: clipped at every step.
        make_case("torch_adamw_clip_f32", "f32", [4, 16],
                  clipped(torch_config("decoupled", weight_decay=0.01), 1.0),
                  scaled_normal(1.0), steps=10, seed=11),
        # AMP: scaled by 2^16, unscaled, then clipped to 0.5.
        make_case("torch_adam_clip_amp_f32", "f32", [37],
                  clipped(torch_config("l2", weight_decay=0.01), 0.5,
                          grad_scale=65536.0),
                  scaled_normal(65536.0), steps=10, seed=12),
        # AMP with a bound the norm never reaches: the plain AMP step.
        make_case("torch_adamw_clip_inactive_amp_f32", "f32", [4, 16],
                  clipped(torch_config("decoupled", weight_decay=0.01), 1e3,
                          grad_scale=1024.0),
                  scaled_normal(1024.0), steps=10, seed=13),
        # The norm grows 10x per step from ~0.06: inactive, then active.
        make_case("torch_adam_amsgrad_clip_crossing_f32", "f32", [37],
                  clipped(torch_config("none", amsgrad=True), 1.0),
                  scaled_normal(0.01, growth=10.0), steps=5, seed=14),
        make_case("torch_adamw_amsgrad_clip_f64", "f64", [33],
                  clipped(torch_config("decoupled", amsgrad=True,
                                       weight_decay=0.01), 2.0),
                  scaled_normal(1.0), steps=10, seed=15),
    ]


def blockwise8(config):
    return dict(config, moment_storage="blockwise8")


def blockwise8_cases():
    """8-bit blockwise moments against the float64 reference: whole and
    partial blocks, a block of zero gradients (absmax 0), gradients spread
    over many decades, Adam with L2 decay and AdamW."""
    def zero_block(rng, n, step):
        g = rng.standard_normal(n)
        g[QUANT_BLOCK:2 * QUANT_BLOCK] = 0.0
        return g

    source = ("float64 reference of 8-bit blockwise moments "
              "(bitsandbytes create_dynamic_map, blocks of 256)")
    tolerance = {"rtol": 1e-4, "atol": 1e-6, "code_mismatches": 0.002}
    out = [
        make_case("blockwise8_adamw_f32", "f32", [4096 + 300],
                  blockwise8(torch_config("decoupled", weight_decay=0.01)),
                  zero_block, steps=6, seed=21, source=source),
        make_case("blockwise8_adam_l2_wide_range_f32", "f32", [65, 64],
                  blockwise8(torch_config("l2", weight_decay=0.01)),
                  lambda rng, n, step: log_uniform(rng, 1e-6, 1e2, n),
                  steps=4, lr=1e-2, seed=22, source=source),
        make_case("blockwise8_adam_f32", "f32", [4096],
                  blockwise8(torch_config("none")),
                  scaled_normal(0.1, growth=1.5), steps=8, seed=23,
                  source=source),
    ]
    for case in out:
        case["tolerance"] = dict(tolerance)
    return out


def cases():
    """Every case this script owns, by name."""
    # One step may use the whole range up to 5.8e20: v = 1e-3 g^2 < FLT_MAX.
    # Over four steps v approaches 4e-3 g^2, so those stay below 2.9e20.
    return [
        make_case("torch_adam_large_grad_f32", "f32", [4, 16],
                  torch_config("none"), large_f32(1.8e19, 5.8e20), steps=1,
                  seed=1),
        make_case("torch_adam_l2_large_grad_f32", "f32", [37],
                  torch_config("l2", weight_decay=0.01),
                  large_f32(1.8e19, 2.9e20), steps=4, seed=2),
        make_case("torch_adamw_large_grad_f32", "f32", [4, 16],
                  torch_config("decoupled", weight_decay=0.01),
                  large_f32(1.8e19, 5.8e20), steps=1, seed=3),
        make_case("torch_adamw_amsgrad_large_grad_f32", "f32", [37],
                  torch_config("decoupled", amsgrad=True, weight_decay=0.01),
                  large_f32(1.8e19, 2.9e20), steps=4, seed=4),
        # f64: g * g overflows beyond 1.34e154, ((1 - beta2) * g) * g beyond
        # ~4.2e155.
        make_case("torch_adamw_large_grad_f64", "f64", [33],
                  torch_config("decoupled", weight_decay=0.01),
                  large_f32(1.4e154, 4.0e155), steps=1, seed=5),
        # Tiny and subnormal gradients (f32 subnormals start below 1.18e-38).
        make_case("torch_adam_small_grad_f32", "f32", [4, 16],
                  torch_config("none"), small(1e-45, 1e-30), steps=5, seed=6),
        make_case("torch_adamw_small_grad_f32", "f32", [37],
                  torch_config("decoupled", amsgrad=True, weight_decay=0.01),
                  small(1e-45, 1e-20), steps=5, seed=7),
        make_case("torch_adamw_small_grad_f64", "f64", [33],
                  torch_config("decoupled", weight_decay=0.01),
                  small(1e-320, 1e-150), steps=5, seed=8),
        # The same on a non-torch preset, against the float64 reference.
        make_case("brainpy_adamw_large_grad_f32", "f32", [3, 7],
                  {"bias_correction": "folded",
                   "weight_decay_mode": "decoupled", "decay_lr": "lr",
                   "amsgrad": True, "maximize": False, "beta1": 0.9,
                   "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
                  large_f32(1.8e19, 2.9e20), steps=4, seed=9,
                  source="brainpy.optim.AdamW(amsgrad=True) formula "
                         "(generate_golden.py float64 reference)"),
    ]


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def within_tolerance(case, got):
    """The worst fraction of the tolerance used, or an error string."""
    tol = case["tolerance"]
    worst = 0.0
    expected = dict(case["expected"])
    if "expected_grad_norm" in case:
        expected["grad_norm"] = case["expected_grad_norm"]
    for k in STATES + ("grad_norm",):
        if k not in expected:
            continue
        if k not in got:
            return None, "no %s computed" % k
        for i, (a, b) in enumerate(zip(got[k], expected[k])):
            allowed = tol["atol"] + tol["rtol"] * abs(b)
            err = abs(a - b)
            if not math.isfinite(a) or not err <= allowed:
                return None, "%s[%d] = %r, expected %r" % (k, i, a, b)
            worst = max(worst, err / allowed if allowed else 0.0)
    return worst, None


def check(paths):
    failed = 0
    for path in paths:
        with open(path) as f:
            case = json.load(f)
        name = os.path.basename(path)
        try:
            got = expected_state(case)
        except (RuntimeError, ValueError) as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        worst, error = within_tolerance(case, got)
        if error:
            print("FAIL %s: %s" % (name, error))
            failed += 1
        else:
            print("OK   %s: %.2e of tolerance" % (name, worst))
    print("%d checked, %d failed" % (len(paths), failed))
    return 1 if failed else 0


def write_case(case, out_dir):
    case["expected"] = expected_state(case)
    if "grad_norm" in case["expected"]:
        case["expected_grad_norm"] = case["expected"].pop("grad_norm")
    for k, values in case["expected"].items():
        limit = FLT_MAX if case["dtype"] == "f32" else sys.float_info.max
        bad = [x for x in values if not (math.isfinite(x) and abs(x) <= limit)]
        if bad:
            raise RuntimeError("%s: expected %s is not finite (%r): choose "
                               "smaller inputs" % (case["name"], k, bad[0]))
    path = os.path.join(out_dir, case["name"] + ".json")
    with open(path, "w") as f:
        json.dump(case, f, indent=1)
        f.write("\n")
    print("wrote " + os.path.relpath(path))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "golden"),
                        help="directory to write cases into")
    parser.add_argument("--clip-out", default=os.path.join(HERE, "golden-clip"),
                        help="directory to write the clipping cases into")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="generate only these cases")
    parser.add_argument("--check", nargs="+", metavar="FILE",
                        help="recompute these files' expected states")
    parser.add_argument("--blockwise8-out",
                        default=os.path.join(HERE, "golden-8bit"),
                        help="directory to write the 8-bit moment cases into")
    parser.add_argument("--check-tables", metavar="HEADER",
                        help="compare the 8-bit maps with HEADER's tables")
    parser.add_argument("--list", action="store_true",
                        help="list the cases this script generates")
    args = parser.parse_args()
    if args.check_tables:
        return check_tables(args.check_tables)
    if args.check:
        return check(args.check)
    selected = [(c, args.out) for c in cases()]
    selected += [(c, args.clip_out) for c in clip_cases()]
    selected += [(c, args.blockwise8_out) for c in blockwise8_cases()]
    if args.list:
        for case, _ in selected:
            print(case["name"])
        return 0
    if args.only:
        unknown = set(args.only) - {c["name"] for c, _ in selected}
        if unknown:
            parser.error("unknown case(s): " + ", ".join(sorted(unknown)))
        selected = [(c, d) for c, d in selected if c["name"] in args.only]
    if torch is None and any(c["name"].startswith("torch_") for c, _ in selected):
        parser.error("the torch_* cases need torch (apt-get install python3-torch)")
    for case, out in selected:
        os.makedirs(out, exist_ok=True)
        write_case(case, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
