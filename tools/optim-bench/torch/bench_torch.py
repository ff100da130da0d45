#!/usr/bin/env python3
"""optim.torch.AdamW against torch.optim.AdamW(fused=True) and (foreach=True)
on the CPU, in one run:

  large   one parameter of 2^26 f32 elements (memory bound),
  gpt2    GPT-2 small's 148 parameters (124M elements),
  small   100 parameters of 256 elements (in cache: per-step overhead),
  overhead  optim.torch's own Python cost per step() on the 148-tensor GPT-2
          list: step() minus the C call it makes, with tiny tensors,
  digits  a small CNN trained on scikit-learn's digits with OneCycleLR: the
          same init and batches through both optimizers; accuracy, loss, the
          largest parameter difference and the total step() time.

Needs a torch with fused CPU AdamW (2.4 or newer) and scikit-learn, e.g.

  /usr/bin/python3 -m venv /tmp/torch2
  /tmp/torch2/bin/pip install torch numpy scikit-learn
  PYTHONPATH=build/python_packages /tmp/torch2/bin/python \\
      tools/optim-bench/torch/bench_torch.py

Timings are medians of per-step wall times (out of cache the optimizers
take turns step by step); ratios are torch's time over
optim's (above 1: optim is faster).
"""

import argparse
import copy
import os
import statistics
import sys
import time

import torch

import optim
import optim.torch


def gpt2_sizes():
    sizes = [50257 * 768, 1024 * 768]
    for _ in range(12):
        sizes += [768, 768, 768 * 2304, 2304, 768 * 768, 768, 768, 768,
                  768 * 3072, 3072, 3072 * 768, 768]
    return sizes + [768, 768]


def make_params(sizes, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = []
    for n in sizes:
        p = torch.nn.Parameter(torch.randn(n, generator=g))
        p.grad = torch.randn(n, generator=g)
        params.append(p)
    return params


def time_steps(opt, steps, warmup=2):
    for _ in range(warmup):
        opt.step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


OPTIMIZERS = {
    "optim": lambda ps: optim.torch.AdamW(ps, lr=1e-3),
    "torch fused": lambda ps: torch.optim.AdamW(ps, lr=1e-3, fused=True),
    "torch foreach": lambda ps: torch.optim.AdamW(ps, lr=1e-3, foreach=True),
}


def make_or_skip(label, make, params):
    """The optimizer, or None (with a message) where this torch lacks it:
    torch 1.13 has no fused CPU AdamW, so the script still measures optim
    there."""
    try:
        return make(params)
    except (TypeError, RuntimeError, ValueError) as e:
        print(f"        {label}: skipped, this torch cannot make it ({e})")
        return None


def bench_list(name, sizes, steps, interleave=True):
    """With `interleave` the optimizers step in turn (rotating the order
    each round), so that drift in a shared machine's memory bandwidth
    reaches all of them alike; without it (in cache) each runs its steps
    back to back, so that the others do not evict its state. Each one's
    median step time."""
    params = make_params(sizes)
    total = sum(sizes)
    opts = {}
    for label, make in OPTIMIZERS.items():
        opt = make_or_skip(label, make, params)
        if opt is not None:
            opts[label] = opt
            opt.step()  # creates its state
            opt.step()
    times = {label: [] for label in opts}
    labels = list(opts)
    rounds = [labels[r % len(labels):] + labels[:r % len(labels)]
              for r in range(steps)]
    if not interleave:
        rounds = [[label] * steps for label in labels]
    for order in rounds:
        for label in order:
            t0 = time.perf_counter()
            opts[label].step()
            times[label].append(time.perf_counter() - t0)
    result = {label: statistics.median(t) for label, t in times.items()}
    del opts
    # 7 f32 streams per element: p, g, m, v read; p, m, v written.
    gbs = lambda t: 7 * 4 * total / t / 1e9
    print(f"{name:7s} {len(sizes):4d} tensors {total:>11,d} elements: " +
          ", ".join(f"{k} {v * 1e6:9.1f} us ({gbs(v):5.1f} GB/s)"
                    for k, v in result.items()))
    for other in (k for k in ("torch fused", "torch foreach") if k in result):
        print(f"        optim vs {other}: "
              f"{result[other] / result['optim']:.2f}x")
    return result


def bench_overhead(steps):
    """step() of optim.torch on 148 tiny tensors, against the bare C calls
    it makes (the same tables and scalars): the difference is the adapter's
    Python cost. Cached: the same gradients each step; fresh: new gradient
    tensors every step (zero_grad(set_to_none=True) and backward)."""
    sizes = [16] * len(gpt2_sizes())
    params = make_params(sizes)
    opt = optim.torch.AdamW(params, lr=1e-3)
    cached = time_steps(opt, steps)
    plan = opt._plans[0]
    run = plan.runs[0]
    # The same entry point step() uses (serial for a group this small).
    fn = (optim._capi.lib.optimStepRunSerial if run.serial else
          optim._capi.lib.optimStepRun)
    scalars = plan.scalars
    ref = optim._capi.ctypes.byref(scalars)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        status = fn(run.step.handle, run.array, run.count, ref)
        times.append(time.perf_counter() - t0)
        assert not status.ptr
    bare = statistics.median(times)
    fresh_times = []
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn(16)
        t0 = time.perf_counter()
        opt.step()
        fresh_times.append(time.perf_counter() - t0)
    fresh = statistics.median(fresh_times)
    torch_opt = make_or_skip("torch fused", OPTIMIZERS["torch fused"], params)
    torch_fused = (time_steps(torch_opt, steps) if torch_opt is not None else
                   float("nan"))
    print(f"overhead 148 tensors of 16 elements: optim.torch step() "
          f"{cached * 1e6:.1f} us with cached gradients, {fresh * 1e6:.1f} us "
          f"with new gradient tensors; the C call alone {bare * 1e6:.1f} us; "
          f"torch fused step() {torch_fused * 1e6:.1f} us")
    print(f"        adapter's own cost: {(cached - bare) * 1e6:.1f} us cached, "
          f"{(fresh - bare) * 1e6:.1f} us fresh")


class DigitsCNN(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Flatten(),
            torch.nn.Linear(32 * 4 * 4, 64), torch.nn.ReLU(),
            torch.nn.Linear(64, 10))

    def forward(self, x):
        return self.net(x)


def bench_digits(epochs):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2,
                                          random_state=0)
    batch = 64
    g = torch.Generator().manual_seed(0)
    order = [torch.randperm(len(xtr), generator=g) for _ in range(epochs)]
    steps = epochs * ((len(xtr) + batch - 1) // batch)
    torch.manual_seed(0)
    init = DigitsCNN()
    results = {}
    models = {}
    for label, make in (("torch fused", lambda ps: torch.optim.AdamW(
            ps, lr=1e-3, weight_decay=1e-2, fused=True)),
                        ("optim", lambda ps: optim.torch.AdamW(
                            ps, lr=1e-3, weight_decay=1e-2))):
        model = copy.deepcopy(init)
        opt = make(model.parameters())
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2,
                                                    total_steps=steps)
        step_time = 0.0
        times = []
        for e in range(epochs):
            for i in range(0, len(xtr), batch):
                idx = order[e][i:i + batch]
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(xtr[idx]),
                                                         ytr[idx])
                loss.backward()
                t0 = time.perf_counter()
                opt.step()
                times.append(time.perf_counter() - t0)
                step_time += times[-1]
                sched.step()
        with torch.no_grad():
            out = model(xte)
            acc = (out.argmax(1) == yte).float().mean().item()
            test_loss = torch.nn.functional.cross_entropy(out, yte).item()
        results[label] = (acc, test_loss, step_time, times[0],
                          statistics.median(times))
        models[label] = model
    diff = max(((a - b).abs().max() / a.abs().max()).item()
               for a, b in zip(models["torch fused"].parameters(),
                               models["optim"].parameters()))
    for label, (acc, test_loss, t, first, median) in results.items():
        print(f"digits  {label:12s} {steps} steps: test accuracy {acc:.4f}, "
              f"test loss {test_loss:.5f}, total step() {t * 1e3:.2f} ms "
              f"(first {first * 1e6:.0f} us, median {median * 1e6:.1f} us)")
    print(f"        largest parameter difference (relative to the tensor's "
          f"max): {diff:.2e}; optim vs torch fused step(): "
          f"{results['torch fused'][2] / results['optim'][2]:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10,
                        help="timed steps per large benchmark")
    parser.add_argument("--only", nargs="*",
                        default=["large", "gpt2", "small", "overhead",
                                 "digits"])
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch "
          f"threads, optim {optim.default_compiler().num_threads} threads, "
          f"python {sys.version.split()[0]}")
    if "large" in args.only:
        bench_list("large", [1 << 26], args.steps)
    if "gpt2" in args.only:
        bench_list("gpt2", gpt2_sizes(), args.steps)
    if "small" in args.only:
        bench_list("small", [256] * 100, 2000, interleave=False)
    if "overhead" in args.only:
        bench_overhead(2000)
    if "digits" in args.only:
        bench_digits(epochs=7)


if __name__ == "__main__":
    main()
