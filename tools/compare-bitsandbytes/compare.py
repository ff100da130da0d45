#!/usr/bin/env python3
"""optim's 8-bit blockwise moments against bitsandbytes' on the CPU.

Runs the same parameter, the same seeded gradients and the same
hyperparameters through bitsandbytes' Adam8bit/AdamW8bit (its defaults:
block-wise, 256-element blocks, min_8bit_size 4096), optim.torch's Adam/AdamW with moment_dtype=torch.uint8, and
torch's f32 Adam/AdamW, then prints how far each pair is apart, relative to
the distance the f32 run moved the parameters, and how many moment codes
and absmaxes bitsandbytes and optim disagree on.

    PYTHONPATH=build/python_packages python tools/compare-bitsandbytes/compare.py \
        --steps 10 --variant adamw

Needs torch and bitsandbytes (pip install bitsandbytes); not part of the
test suite, since bitsandbytes is not a dependency of the project.
"""
import argparse

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--size", type=int, default=65536 + 100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variant", choices=["adam", "adamw"], default="adamw")
    args = ap.parse_args()

    import bitsandbytes as bnb
    import optim.torch as ot

    torch.manual_seed(args.seed)
    p0 = torch.randn(args.size)
    grads = [torch.randn(args.size) * (0.1 + i % 3) for i in range(args.steps)]
    hyper = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=0.01 if args.variant == "adamw" else 0.0)
    params = {k: torch.nn.Parameter(p0.clone()) for k in ("bnb", "optim", "f32")}
    if args.variant == "adamw":
        opts = {
            "bnb": bnb.optim.AdamW8bit([params["bnb"]], **hyper,
                                       min_8bit_size=4096),
            "optim": ot.AdamW([params["optim"]], **hyper,
                              moment_dtype=torch.uint8),
            "f32": torch.optim.AdamW([params["f32"]], **hyper),
        }
    else:
        opts = {
            "bnb": bnb.optim.Adam8bit([params["bnb"]], **hyper,
                                      min_8bit_size=4096),
            "optim": ot.Adam([params["optim"]], **hyper,
                             moment_dtype=torch.uint8),
            "f32": torch.optim.Adam([params["f32"]], **hyper),
        }

    def codes():
        b = opts["bnb"].state[params["bnb"]]
        o = opts["optim"].state[params["optim"]]
        return ((b["state1"], o["exp_avg"]), (b["state2"], o["exp_avg_sq"]),
                (b["absmax1"], o["exp_avg_absmax"]),
                (b["absmax2"], o["exp_avg_sq_absmax"]))

    for step, g in enumerate(grads, 1):
        for k, p in params.items():
            p.grad = g.clone()
            opts[k].step()
        if step in (1, args.steps):
            (m_b, m_o), (v_b, v_o), (am_b, am_o), (av_b, av_o) = codes()
            n = m_b.numel()
            dm = (m_b.to(torch.int32) - m_o.to(torch.int32)).abs()
            dv = (v_b.to(torch.int32) - v_o.to(torch.int32)).abs()
            rel = lambda a, b: ((a - b).abs() / b.abs().clamp_min(1e-30)).max()
            print(f"step {step}: codes differing: exp_avg {int((dm > 0).sum())}"
                  f"/{n} (max {int(dm.max())} apart), exp_avg_sq "
                  f"{int((dv > 0).sum())}/{n} (max {int(dv.max())} apart); "
                  f"absmax max rel diff {float(rel(am_b, am_o)):.2e} / "
                  f"{float(rel(av_b, av_o)):.2e}")
    with torch.no_grad():
        travel = (params["f32"] - p0).norm().item()
        for a, b in (("bnb", "optim"), ("bnb", "f32"), ("optim", "f32")):
            d = (params[a] - params[b]).abs()
            print(f"{a} vs {b}: max |dp| {d.max().item():.3e}, mean "
                  f"{d.mean().item():.3e}, ||dp|| / f32 travel "
                  f"{(params[a] - params[b]).norm().item() / travel:.3e}")
        print(f"f32 travel ||p_N - p_0|| = {travel:.4e} after {args.steps} "
              f"steps ({args.variant}, {args.size} elements)")


if __name__ == "__main__":
    main()
