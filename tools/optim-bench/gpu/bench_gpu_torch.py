#!/usr/bin/env python3
"""PyTorch AdamW baseline for optim's GPU optimizer step.

Measures, in one run on one GPU:

  * ``torch.optim.AdamW(fused=True)`` step time (optionally also foreach=True),
  * a device-to-device copy of the same number of bytes as the parameters
    (``dst.copy_(src)``), as the achievable-bandwidth reference,
  * the in-place AdamW traffic model, 28 bytes per f32 element (read p, g, m,
    v; write p, m, v), reported as effective GB/s and as a ratio to the copy
    bandwidth (copy traffic counted as read + write),

for two cases:

  * ``single``: one f32 tensor of 2**28 elements (``--single-log2``),
  * ``gpt2-small``: GPT-2 small's 148 parameter tensors (124,439,808 elements).

``--optim-cmd CMD`` runs an external command (through the shell) after the
PyTorch measurements, with the GPU memory released, and merges its results so
that our own GPU step binary is compared in the same run on the same device.
The command must print one JSON object per measurement on stdout, e.g.

  {"impl": "optim", "case": "gpt2-small", "elements": 124439808,
   "tensors": 148, "ms": 1.23}

``case`` should be ``single`` or ``gpt2-small``; results for other case names
are matched to a PyTorch case by element count, or reported without a copy
ratio. Lines that are not JSON objects are passed through to stderr. The
command also receives OPTIM_BENCH_CASES (e.g. "single:268435456:1,gpt2-small:
124439808:148"), OPTIM_BENCH_ITERS and OPTIM_BENCH_WARMUP in its environment.

Times are taken with CUDA events around each iteration after warm-up; the
table shows the median (and minimum) over ``--iters`` iterations.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

# Bytes moved per f32 element by an in-place AdamW step: read p, g, m, v
# (4 x 4 bytes) and write p, m, v (3 x 4 bytes).
ADAMW_BYTES_PER_ELEMENT = 28
F32_BYTES = 4


def gpt2_small_shapes():
    """Parameter shapes of GPT-2 small (HF layout, Conv1D weights in x out)."""
    d, vocab, ctx, layers = 768, 50257, 1024, 12
    shapes = [(vocab, d), (ctx, d)]  # wte, wpe
    for _ in range(layers):
        shapes += [
            (d,), (d,),                 # ln_1 weight, bias
            (d, 3 * d), (3 * d,),       # attn.c_attn weight, bias
            (d, d), (d,),               # attn.c_proj weight, bias
            (d,), (d,),                 # ln_2 weight, bias
            (d, 4 * d), (4 * d,),       # mlp.c_fc weight, bias
            (4 * d, d), (d,),           # mlp.c_proj weight, bias
        ]
    shapes += [(d,), (d,)]  # ln_f weight, bias
    return shapes


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def build_cases(args):
    cases = []
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    for name in wanted:
        if name == "single":
            cases.append(("single", [(1 << args.single_log2,)]))
        elif name == "gpt2-small":
            cases.append(("gpt2-small", gpt2_small_shapes()))
        else:
            raise SystemExit(f"unknown case '{name}' (known: single, gpt2-small)")
    return cases


def time_cuda(torch, fn, warmup, iters):
    """Per-iteration times in ms, measured with CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    for i in range(iters):
        starts[i].record()
        fn()
        ends[i].record()
    torch.cuda.synchronize()
    return [s.elapsed_time(e) for s, e in zip(starts, ends)]


def summarize(times):
    return statistics.median(times), min(times)


def gbps(nbytes, ms):
    return nbytes / (ms * 1e-3) / 1e9 if ms > 0 else float("nan")


def measure_case(torch, name, shapes, args):
    device = torch.device("cuda")
    elements = sum(numel(s) for s in shapes)
    rows = []

    # Copy probe first, with only its two buffers allocated.
    src = torch.empty(elements, dtype=torch.float32, device=device).uniform_()
    dst = torch.empty_like(src)
    copy_times = time_cuda(torch, lambda: dst.copy_(src), args.warmup, args.iters)
    del src, dst
    copy_med, copy_min = summarize(copy_times)
    copy_bw = gbps(2 * elements * F32_BYTES, copy_med)
    rows.append(dict(impl="torch_copy", case=name, elements=elements,
                     tensors=1, ms=copy_med, ms_min=copy_min,
                     bytes=2 * elements * F32_BYTES, gbps=copy_bw,
                     ratio_to_copy=1.0))
    torch.cuda.empty_cache()

    variants = [("torch_adamw_fused", dict(fused=True))]
    if args.foreach:
        variants.append(("torch_adamw_foreach", dict(foreach=True)))

    for impl, kwargs in variants:
        gen = torch.Generator(device=device)
        gen.manual_seed(0)
        params = []
        for shape in shapes:
            p = torch.empty(shape, dtype=torch.float32, device=device)
            p = torch.nn.Parameter(p.normal_(0.0, 0.02, generator=gen))
            p.grad = torch.empty_like(p).normal_(0.0, 1e-3, generator=gen)
            params.append(p)
        opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999),
                                eps=1e-8, weight_decay=args.weight_decay,
                                **kwargs)
        # warm-up includes the first step, which allocates m and v.
        times = time_cuda(torch, opt.step, max(args.warmup, 1), args.iters)
        med, mn = summarize(times)
        nbytes = ADAMW_BYTES_PER_ELEMENT * elements
        bw = gbps(nbytes, med)
        rows.append(dict(impl=impl, case=name, elements=elements,
                         tensors=len(shapes), ms=med, ms_min=mn, bytes=nbytes,
                         gbps=bw, ratio_to_copy=bw / copy_bw))
        del opt, params
        torch.cuda.empty_cache()
    return rows


def run_external(cmd, cases, args, copy_bw_by_case):
    env = dict(os.environ)
    env["OPTIM_BENCH_CASES"] = ",".join(
        f"{n}:{sum(numel(s) for s in shapes)}:{len(shapes)}"
        for n, shapes in cases)
    env["OPTIM_BENCH_ITERS"] = str(args.iters)
    env["OPTIM_BENCH_WARMUP"] = str(args.warmup)
    print(f"running --optim-cmd: {cmd}", file=sys.stderr)
    try:
        proc = subprocess.run(cmd, shell=True, env=env, stdout=subprocess.PIPE,
                              text=True, timeout=args.optim_timeout)
    except subprocess.TimeoutExpired:
        print(f"warning: --optim-cmd timed out after {args.optim_timeout}s",
              file=sys.stderr)
        return []
    if proc.returncode != 0:
        print(f"warning: --optim-cmd exited with status {proc.returncode}",
              file=sys.stderr)

    elements_to_case = {sum(numel(s) for s in shapes): n for n, shapes in cases}
    rows = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        try:
            rec = json.loads(line) if line.startswith("{") else None
        except json.JSONDecodeError:
            rec = None
        if not isinstance(rec, dict):
            if line:
                print(f"[optim-cmd] {line}", file=sys.stderr)
            continue
        try:
            elements = int(rec["elements"])
            ms = float(rec["ms"])
            row = dict(impl=str(rec.get("impl", "optim")),
                       case=str(rec.get("case", "?")), elements=elements,
                       tensors=int(rec.get("tensors", 0)), ms=ms,
                       ms_min=float(rec["ms_min"]) if "ms_min" in rec else None)
        except (KeyError, TypeError, ValueError) as err:
            print(f"warning: ignoring malformed --optim-cmd record {line!r}: "
                  f"{err}", file=sys.stderr)
            continue
        ref_case = row["case"] if row["case"] in copy_bw_by_case else \
            elements_to_case.get(elements)
        nbytes = ADAMW_BYTES_PER_ELEMENT * elements
        bw = gbps(nbytes, ms)
        row.update(bytes=nbytes, gbps=bw,
                   ratio_to_copy=(bw / copy_bw_by_case[ref_case]
                                  if ref_case in copy_bw_by_case else None))
        row["external"] = True
        rows.append(row)
    if not rows:
        print("warning: --optim-cmd printed no JSON measurements",
              file=sys.stderr)
    return rows


def print_table(rows, header):
    print(header)
    cols = f"{'case':<12} {'impl':<22} {'tensors':>7} {'elements':>11} " \
           f"{'median ms':>10} {'min ms':>9} {'GB/s':>8} {'vs copy':>8}"
    print(cols)
    print("-" * len(cols))
    for r in sorted(rows, key=lambda r: (r["case"], r["impl"] != "torch_copy",
                                         r["impl"])):
        ms_min = f"{r['ms_min']:9.3f}" if r.get("ms_min") is not None else \
            f"{'-':>9}"
        ratio = f"{r['ratio_to_copy']:8.3f}" if r.get("ratio_to_copy") \
            is not None else f"{'-':>8}"
        print(f"{r['case']:<12} {r['impl']:<22} {r['tensors']:>7} "
              f"{r['elements']:>11} {r['ms']:>10.3f} {ms_min} "
              f"{r['gbps']:>8.1f} {ratio}")
    print(f"\nAdamW traffic model: {ADAMW_BYTES_PER_ELEMENT} B/element "
          "(read p,g,m,v; write p,m,v); copy: 8 B/element (read + write).")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="single,gpt2-small",
                    help="comma-separated cases: single, gpt2-small")
    ap.add_argument("--single-log2", type=int, default=28,
                    help="log2 of the element count of the single-tensor case")
    ap.add_argument("--iters", type=int, default=50,
                    help="timed iterations per measurement (median reported)")
    ap.add_argument("--warmup", type=int, default=10,
                    help="untimed warm-up iterations per measurement")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-2)
    ap.add_argument("--foreach", action="store_true",
                    help="also time AdamW(foreach=True)")
    ap.add_argument("--optim-cmd", metavar="CMD", default=None,
                    help="external command printing one JSON line per "
                         "measurement (impl, case, elements, tensors, ms)")
    ap.add_argument("--optim-timeout", type=float, default=600.0,
                    help="seconds before --optim-cmd is abandoned")
    ap.add_argument("--json", action="store_true",
                    help="print one JSON document instead of the table")
    args = ap.parse_args()
    if args.iters < 1 or args.warmup < 0:
        ap.error("--iters must be >= 1 and --warmup >= 0")

    try:
        import torch
    except ImportError as err:
        print(f"bench_gpu_torch: PyTorch is not installed ({err}); nothing to "
              "measure", file=sys.stderr)
        return 0
    if not torch.cuda.is_available():
        print("bench_gpu_torch: no CUDA device (torch.cuda.is_available() is "
              "False); nothing to measure", file=sys.stderr)
        return 0

    cases = build_cases(args)
    props = torch.cuda.get_device_properties(0)
    info = dict(device=torch.cuda.get_device_name(0),
                capability=f"{props.major}.{props.minor}",
                memory_gib=round(props.total_memory / 2**30, 1),
                torch=torch.__version__, cuda=torch.version.cuda,
                iters=args.iters, warmup=args.warmup)

    rows = []
    for name, shapes in cases:
        print(f"measuring {name}: {len(shapes)} tensor(s), "
              f"{sum(numel(s) for s in shapes)} elements", file=sys.stderr)
        rows += measure_case(torch, name, shapes, args)

    if args.optim_cmd:
        # Hand the GPU memory back before the external process allocates.
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        copy_bw = {r["case"]: r["gbps"] for r in rows
                   if r["impl"] == "torch_copy"}
        rows += run_external(args.optim_cmd, cases, args, copy_bw)

    if args.json:
        json.dump(dict(info, results=rows), sys.stdout, indent=2)
        print()
    else:
        print_table(rows, f"device: {info['device']} (sm_{props.major}"
                          f"{props.minor}, {info['memory_gib']} GiB), "
                          f"torch {info['torch']}, CUDA {info['cuda']}, "
                          f"median of {args.iters} after {args.warmup} "
                          "warm-up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
