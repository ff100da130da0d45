#!/usr/bin/env python3
"""Compares optim's 8-bit blockwise Adam/AdamW moments with bitsandbytes'.

Runs, on the same seeded parameters and gradient sequence, for --steps steps:

  bnb    bitsandbytes Adam8bit / AdamW8bit on CPU tensors (its defaults:
         8-bit blockwise, blocks of 256, min_8bit_size=4096; in 0.50.x there
         is no percentile clipping and no non-blockwise 8-bit mode)
  optim  optim.torch.Adam / AdamW with moment_dtype=torch.uint8
  f32    torch.optim.Adam / AdamW (foreach=False), float32 state
  bnbnear  control: bnb's CPU step (same torch ops) with optim's
         nearest-code quantiser instead of bnb's lookup table
  ref64  test/Conformance/generate_golden.py run_blockwise_reference: the
         float64 reference of optim's exact 8-bit algorithm

and prints parameter differences between the runs (absolute, and relative
to how far the f32 run moved the parameters), the fraction of moment codes
that differ between bnb and optim after step 1 and after the last step, the
absmax differences, and a check of bnb's CPU quantiser against an emulation
of its 65536-entry lookup table and against the nearest-code rule optim uses.

Usage (from anywhere; the paths below are the defaults):
  PYTHONPATH=/work/main/build/python_packages \\
  /tmp/bnb/venv/bin/python tools/compare-bitsandbytes/compare.py \\
      --variant adamw --steps 10
"""

import argparse
import inspect
import os
import sys
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "Conformance"))
sys.path.insert(0, os.path.join(ROOT, "build", "python_packages"))

BLOCK = 256
LUT_SIZE = 65536


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--size", type=int, default=1 << 16,
                    help="elements of the first parameter; a second one has "
                         "size+100 (a partial last block)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variant", choices=("adam", "adamw"), default="adamw")
    ap.add_argument("--weight-decay", type=float, default=None,
                    help="default: 0 for adam, 0.01 for adamw. With adam and "
                         "a nonzero value, torch/optim use L2 decay while bnb "
                         "(both classes) always decays decoupled")
    ap.add_argument("--grad-scale", type=float, default=1.0,
                    help="gradients are grad_scale * N(0, 1)")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip the float64 reference (slow for large runs)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch.set_num_threads (bnb's CPU step is torch ops)")
    return ap.parse_args()


# ---------------------------------------------------------------------------
# bitsandbytes
# ---------------------------------------------------------------------------


class BnbStepNearest:
    """bnb's CPU 8-bit step (backends/cpu/ops.py
    _optimizer_update_8bit_blockwise_cpu, the "adam" branch, same torch ops)
    with its quantiser replaced by optim's rule (nearest code, ties to the
    lower, zero absmax read as 0): a control run that isolates the quantiser."""

    def __init__(self, params, hp, tables, mids):
        self.params, self.hp = params, hp
        self.tables = [torch.from_numpy(t) for t in tables]
        self.mids = [torch.from_numpy(m[:-1].copy()) for m in mids]
        self.state = {}
        self.t = 0

    def _quant(self, x, k):
        n = x.numel()
        blocks = (n + BLOCK - 1) // BLOCK
        pad = torch.zeros(blocks * BLOCK)
        pad[:n] = x
        absmax = pad.abs().reshape(blocks, BLOCK).amax(dim=1)
        a = absmax.repeat_interleave(BLOCK)[:n]
        r = torch.where(a == 0, torch.zeros_like(x), x / torch.where(a == 0, 1, a))
        return torch.searchsorted(self.mids[k], r.contiguous()), absmax

    @torch.no_grad()
    def step(self):
        self.t += 1
        b1, b2 = self.hp["betas"]
        lr, eps, wd = self.hp["lr"], self.hp["eps"], self.hp["weight_decay"]
        for p in self.params:
            st = self.state.setdefault(p, {
                "codes": [torch.zeros(p.numel(), dtype=torch.int64)] * 2,
                "absmax": [torch.zeros((p.numel() + BLOCK - 1) // BLOCK)] * 2})
            s = [(self.tables[k][st["codes"][k]].reshape(-1, 1).squeeze(1)
                  * st["absmax"][k].repeat_interleave(BLOCK)[:p.numel()])
                 for k in range(2)]
            grad = p.grad.reshape(-1).float() * 1.0
            pf = p.data.reshape(-1).float()
            s[0].mul_(b1).add_(grad, alpha=1.0 - b1)
            s[1].mul_(b2).addcmul_(grad, grad, value=1.0 - b2)
            c1 = 1.0 - b1 ** self.t
            c2 = (1.0 - b2 ** self.t) ** 0.5
            denom = (s[1].sqrt() / c2).add_(eps)
            if wd > 0.0:
                pf.mul_(1.0 - lr * wd)
            pf.addcdiv_(s[0], denom, value=-lr / c1)
            p.data.copy_(pf.reshape(p.shape))
            q = [self._quant(s[k], k) for k in range(2)]
            st["codes"] = [c for c, _ in q]
            st["absmax"] = [a for _, a in q]


def import_bnb():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bitsandbytes as bnb
        import bitsandbytes.functional as F
    return bnb, F


def bnb_optimizer(bnb, variant, params, hp):
    cls = bnb.optim.AdamW8bit if variant == "adamw" else bnb.optim.Adam8bit
    kwargs = dict(lr=hp["lr"], betas=hp["betas"], eps=hp["eps"],
                  weight_decay=hp["weight_decay"], min_8bit_size=4096)
    sig = inspect.signature(cls.__init__).parameters
    # Older releases (< 0.45) took these; their defaults are what we want.
    for name, value in (("block_wise", True), ("percentile_clipping", 100)):
        if name in sig:
            kwargs[name] = value
    notes = [f"bnb class {cls.__name__}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"]
    absent = [n for n in ("block_wise", "percentile_clipping", "optim_bits")
              if n not in sig]
    if absent:
        notes.append("bnb signature lacks " + ", ".join(absent))
    if "optim_bits" in sig and sig["optim_bits"].default != 8:
        notes.append(f"bnb optim_bits argument defaults to "
                     f"{sig['optim_bits'].default} and is ignored: the class "
                     f"passes 8 to Optimizer2State")
    return cls(params, **kwargs), notes


def bnb_dispatch_note():
    name = "bitsandbytes::optimizer_update_8bit_blockwise"
    cpu = torch._C._dispatch_has_kernel_for_dispatch_key(name, "CPU")
    from bitsandbytes.cextension import lib, ErrorHandlerMockBNBNativeLibrary
    native = not isinstance(lib, ErrorHandlerMockBNBNativeLibrary)
    path = getattr(lib, "_name", None) or getattr(getattr(lib, "_lib", None),
                                                  "_name", "?")
    return (f"{name}: CPU kernel registered={cpu} "
            f"(bitsandbytes/backends/cpu/ops.py "
            f"_optimizer_update_8bit_blockwise_cpu); native CPU library "
            f"loaded={native} ({os.path.basename(str(path))})")


# ---------------------------------------------------------------------------
# bnb's CPU quantiser, emulated (csrc/cpu_ops.cpp build_quantize_lut,
# norm_to_lut_index, quantize_cpu_impl)
# ---------------------------------------------------------------------------


def bnb_lut(code):
    c = code.astype(np.float32)
    mids = np.float32(0.5) * (c[:-1] + c[1:])
    i = np.arange(LUT_SIZE, dtype=np.float32)
    val = np.float32(-1.0) + (np.float32(2.0) * i) / np.float32(LUT_SIZE - 1)
    # number of midpoints strictly below val
    return np.searchsorted(mids, val, side="left").astype(np.uint8)


def bnb_quantize_emulated(x, code, fused):
    """x: float32 1-D. Returns (codes, absmax) as bnb's CPU kernel makes."""
    lut = bnb_lut(code)
    n = len(x)
    blocks = (n + BLOCK - 1) // BLOCK
    pad = np.zeros(blocks * BLOCK, dtype=np.float32)
    pad[:n] = x
    absmax = np.abs(pad).reshape(blocks, BLOCK).max(axis=1).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.float32(1.0) / absmax
    inv = np.where(absmax == 0, np.float32(0), inv).astype(np.float32)
    scaled = (pad.reshape(blocks, BLOCK) * inv[:, None]).reshape(-1)[:n]
    v = np.clip(scaled, np.float32(-1), np.float32(1)).astype(np.float32)
    t = ((v + np.float32(1.0)) * np.float32(0.5)).astype(np.float32)
    if fused:   # t * 65535 + 0.5 as one fma (rounded once)
        f = (t.astype(np.float64) * (LUT_SIZE - 1) + 0.5).astype(np.float32)
    else:
        f = (t * np.float32(LUT_SIZE - 1)).astype(np.float32) + np.float32(0.5)
    out = lut[f.astype(np.uint16)]
    out[np.repeat(absmax == 0, BLOCK)[:n]] = 0
    return out, absmax


def nearest_codes(x, mids, absmax):
    """optim's rule: number of midpoints (f32 nearest to the exact mean)
    below x / absmax, 0/absmax read as 0."""
    a = np.repeat(absmax.astype(np.float64), BLOCK)[:len(x)]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(a == 0, 0.0, x.astype(np.float64) / np.where(a == 0, 1, a))
    return np.searchsorted(mids.astype(np.float64), r, side="left")


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


def flat(t):
    return t.detach().reshape(-1).to(torch.float64).numpy()


def pdiff_line(name, a, b, moved):
    d = np.abs(a - b)
    mv = np.abs(moved)
    return (f"  {name:<14} max|dp|={d.max():.3e} mean|dp|={d.mean():.3e}  "
            f"||dp||/||p_N-p_0||={np.linalg.norm(d) / np.linalg.norm(moved):.3e}  "
            f"max|dp|/max|moved|={d.max() / mv.max():.3e}  "
            f"mean|dp|/mean|moved|={d.mean() / mv.mean():.3e}")


def code_line(label, cb, co):
    cb = cb.astype(np.int64)
    co = co.astype(np.int64)
    diff = cb != co
    far = np.abs(cb - co) > 1
    return (f"{label} differ {diff.mean() * 100:.4f}% "
            f"({diff.sum()}/{len(cb)}), |dcode|>1 {far.mean() * 100:.4f}%")


def absmax_line(label, ab, ao):
    ab = ab.astype(np.float64)
    ao = ao.astype(np.float64)
    rel = np.abs(ab - ao) / np.maximum(np.abs(ao), 1e-38)
    return (f"{label} max rel {rel.max():.3e} mean rel {rel.mean():.3e} "
            f"(bit-equal {np.mean(ab == ao) * 100:.1f}%)")


def decoded(codes, table, absmax):
    a = np.repeat(absmax.astype(np.float64), BLOCK)[:len(codes)]
    return table[codes.astype(np.int64)].astype(np.float64) * a


def moment_report(tag, bnb_opt, opt_opt, f32_opt, pb, po, pf, tables, out):
    signed, unsigned = tables
    for k, (qb, qo, qf) in enumerate(zip(pb, po, pf)):
        sb, so, sf = bnb_opt.state[qb], opt_opt.state[qo], f32_opt.state[qf]
        n = qb.numel()
        out.append(f" {tag}, param {k} ({n} elements, "
                   f"{(n + BLOCK - 1) // BLOCK} blocks):")
        if sb["state1"].dtype != torch.uint8 or so["exp_avg"].dtype != torch.uint8:
            out.append(f"   not 8-bit (bnb {sb['state1'].dtype}, optim "
                       f"{so['exp_avg'].dtype})")
            continue
        for mom, (bk, bak, ok, oak, table) in {
                "exp_avg": ("state1", "absmax1", "exp_avg", "exp_avg_absmax",
                            signed),
                "exp_avg_sq": ("state2", "absmax2", "exp_avg_sq",
                               "exp_avg_sq_absmax", unsigned)}.items():
            cb = sb[bk].reshape(-1).numpy()
            co = so[ok].reshape(-1).numpy()
            ab = sb[bak].numpy()
            ao = so[oak].numpy()
            out.append("   " + code_line(f"{mom:<10} codes bnb vs optim:", cb, co))
            out.append("   " + absmax_line(f"{mom:<10} absmax bnb vs optim:", ab, ao))
            ref = flat(sf[ok])
            db, do = decoded(cb, table, ab), decoded(co, table, ao)
            scale = np.abs(ref).mean()
            out.append(f"   {mom:<10} decoded vs f32 state: mean|d|/mean|f32| "
                       f"bnb {np.abs(db - ref).mean() / scale:.3e} optim "
                       f"{np.abs(do - ref).mean() / scale:.3e}")


def reference_case(variant, wd, hp, init, grads):
    mode = "decoupled" if variant == "adamw" else ("l2" if wd else "none")
    cfg = {"bias_correction": "standard", "weight_decay_mode": mode,
           "decay_lr": "lr", "amsgrad": False, "maximize": False,
           "beta1": hp["betas"][0], "beta2": hp["betas"][1], "eps": hp["eps"],
           "weight_decay": wd, "moment_storage": "blockwise8"}
    return {"config": cfg, "dtype": "f32", "first_step": 1,
            "lr_per_step": [hp["lr"]] * len(grads),
            "init": {"param": init.tolist()},
            "grads": [g.tolist() for g in grads]}


def quantiser_check(F, qmaps, mids, x_by_name, out):
    """bnb's CPU quantize_blockwise vs the LUT emulation and optim's rule."""
    out.append("bnb CPU quantiser (torch.ops.bitsandbytes.quantize_blockwise, "
               "native cquantize_blockwise_cpu_fp32) on the step-1 moments:")
    for name, (x, code, mid) in x_by_name.items():
        xt = torch.from_numpy(x.astype(np.float32))
        qb, ab = torch.ops.bitsandbytes.quantize_blockwise(
            xt, torch.from_numpy(code), BLOCK)
        qb = qb.numpy()
        ab = ab.numpy()
        emu_plain, ae = bnb_quantize_emulated(x.astype(np.float32), code, False)
        emu_fma, _ = bnb_quantize_emulated(x.astype(np.float32), code, True)
        near = nearest_codes(x, mid, ab)
        a = np.repeat(ab.astype(np.float64), BLOCK)[:len(x)]
        small = np.mean(np.abs(x / a) < 1.0 / (LUT_SIZE - 1)) * 100
        out.append(f"  {name:<10} vs LUT emulation: {np.mean(qb != emu_plain) * 100:.4f}% "
                   f"differ (fma index: {np.mean(qb != emu_fma) * 100:.4f}%); "
                   f"vs nearest code: {np.mean(qb != near) * 100:.4f}%; "
                   f"absmax bit-equal {np.mean(ab == ae) * 100:.1f}%; "
                   f"|x/absmax| < 1/65535 (below LUT resolution): {small:.4f}%")


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    variant = args.variant
    wd = args.weight_decay
    if wd is None:
        wd = 0.01 if variant == "adamw" else 0.0
    hp = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    out = []
    out.append(f"variant={variant} steps={args.steps} sizes="
               f"{args.size},{args.size + 100} seed={args.seed} lr={hp['lr']} "
               f"betas={hp['betas']} eps={hp['eps']} weight_decay={wd} "
               f"grads={args.grad_scale}*N(0,1) torch {torch.__version__}")

    bnb, F = import_bnb()
    import optim.torch as otorch
    out.append(f"bitsandbytes {bnb.__version__}; " + bnb_dispatch_note())
    if variant == "adam" and wd:
        out.append("NOTE: bnb Adam8bit decays decoupled (p *= 1 - lr*wd), "
                   "torch/optim Adam use L2 (g += wd*p): expect a mismatch")

    gen = torch.Generator().manual_seed(args.seed)
    sizes = [args.size, args.size + 100]
    init = [torch.randn(n, generator=gen, dtype=torch.float32) for n in sizes]
    grads = [[args.grad_scale * torch.randn(n, generator=gen,
                                             dtype=torch.float32)
              for n in sizes] for _ in range(args.steps)]

    def params():
        return [torch.nn.Parameter(t.clone()) for t in init]

    pb, po, pf = params(), params(), params()
    ob, notes = bnb_optimizer(bnb, variant, pb, hp)
    out += notes
    ocls = otorch.AdamW if variant == "adamw" else otorch.Adam
    oo = ocls(po, moment_dtype=torch.uint8, **hp)
    tcls = torch.optim.AdamW if variant == "adamw" else torch.optim.Adam
    of = tcls(pf, foreach=False, **hp)

    tables = (F.create_dynamic_map(signed=True).numpy(),
              F.create_dynamic_map(signed=False).numpy())
    import generate_golden as gg
    signed, signed_mids, unsigned, unsigned_mids = gg.quant_maps()
    same_maps = (np.array_equal(tables[0].view(np.uint32), signed.view(np.uint32))
                 and np.array_equal(tables[1].view(np.uint32),
                                    unsigned.view(np.uint32)))
    out.append(f"bnb create_dynamic_map == optim's maps (bitwise): {same_maps}")

    pn = params()
    on = BnbStepNearest(pn, hp, tables, (signed_mids, unsigned_mids))

    moments = []
    for step in range(1, args.steps + 1):
        for group in (pb, po, pf, pn):
            for p, g in zip(group, grads[step - 1]):
                p.grad = g.clone()
        ob.step()
        oo.step()
        of.step()
        on.step()
        if step == 1:
            moment_report("after step 1", ob, oo, of, pb, po, pf, tables,
                          moments)
            keys = sorted(ob.state[pb[0]].keys())
            out.append(f"bnb state keys: {keys}")
            out.append(f"optim state keys: {sorted(oo.state[po[0]].keys())}")
            # The step-1 moments are exact functions of g: quantise them.
            g0 = grads[0][0]
            m1 = torch.zeros_like(g0).mul_(0.9).add_(g0, alpha=0.1).numpy()
            v1 = torch.zeros_like(g0).mul_(0.999).addcmul_(
                g0, g0, value=0.001).numpy()
            qcheck = []
            quantiser_check(F, tables, None,
                            {"exp_avg": (m1, tables[0], signed_mids),
                             "exp_avg_sq": (v1, tables[1], unsigned_mids)},
                            qcheck)
    if args.steps > 1:
        moment_report(f"after step {args.steps}", ob, oo, of, pb, po, pf,
                      tables, moments)

    ref = None
    if not args.no_reference:
        ref = [np.array(gg.run_blockwise_reference(
            reference_case(variant, wd, hp, init[k].numpy(),
                           [g[k].numpy() for g in grads]))["param"])
            for k in range(len(sizes))]

    out.append(f"parameters after {args.steps} steps (dp between runs; moved "
               f"= p_N(f32) - p_0):")
    for k, n in enumerate(sizes):
        moved = flat(pf[k]) - flat(init[k])
        out.append(f" param {k} ({n} elements): ||p_N-p_0||={np.linalg.norm(moved):.4e} "
                   f"max|moved|={np.abs(moved).max():.4e} "
                   f"mean|moved|={np.abs(moved).mean():.4e}")
        runs = {"bnb": flat(pb[k]), "optim": flat(po[k]), "f32": flat(pf[k]),
                "bnbnear": flat(pn[k])}
        if ref is not None:
            runs["ref64"] = ref[k]
        pairs = [("bnb", "optim"), ("bnb", "f32"), ("optim", "f32"),
                 ("bnbnear", "optim")]
        if ref is not None:
            pairs += [("optim", "ref64"), ("bnb", "ref64")]
        for a, b in pairs:
            out.append(pdiff_line(f"{a}-{b}", runs[a], runs[b], moved))
    out.append("moments (codes index the same sorted 256-entry maps):")
    for k in range(len(sizes)):
        st = on.state[pn[k]]
        so = oo.state[po[k]]
        out.append(f" control bnbnear vs optim after step {args.steps}, param {k}: " +
                   "; ".join(code_line(f"{name} codes", st["codes"][i].numpy(),
                                       so[name].reshape(-1).numpy())
                             for i, name in enumerate(("exp_avg", "exp_avg_sq"))))
    out += moments
    out += qcheck
    print("\n".join(out))


if __name__ == "__main__":
    main()
