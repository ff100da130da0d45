#!/usr/bin/env python3
"""Runs golden cases through optim's IR: optim-opt's CPU pipeline and
mlir-runner, without the JIT runtime.

For each case it writes one MLIR program: the initial state and every step's
gradient as constants, one `optim.global_norm` (when the case clips) and one
`optim.adam`/`optim.adamw` per step with f64 scalars (`scalar_type(f64)`, as
the runtime passes them), then the final state and the norms printed as
integer bit patterns, so that nothing is lost to printing. The result is
compared with the case's expected state (and `expected_grad_norm`) within its
tolerance. Prints `PASS`/`FAIL` per case and `N passed, M failed`; exits
non-zero on a failure.

It covers the switches of the torch cases (Adam/AdamW, L2 or decoupled decay,
AMSGrad, maximize, grad_scale, max_grad_norm, standard bias correction); it
exists for the forms the runtime does not yet configure (global-norm
clipping), and needs only the Python standard library.

Usage: run_golden_mlir.py --optim-opt BIN --mlir-runner BIN --lib-dir DIR
                          [--pipeline OPTS] FILE_OR_DIR...
"""

import argparse
import glob
import json
import os
import struct
import subprocess
import sys

MLIR_TYPE = {"f32": "f32", "f64": "f64"}
INT_TYPE = {"f32": "i32", "f64": "i64"}


def bits_to_float(bits, dtype):
    if dtype == "f32":
        return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]
    return struct.unpack("<d", struct.pack("<Q", bits & 0xFFFFFFFFFFFFFFFF))[0]


def literal(x):
    """`x` exactly, in a spelling MLIR parses (it needs the decimal point)."""
    return format(float(x), ".17e")


def dense(values):
    return "dense<[%s]>" % ", ".join(literal(x) for x in values)


def f64(x):
    return "%s : f64" % literal(x)


def build_program(case):
    """The MLIR program of `case` and the names of what it prints."""
    cfg = case["config"]
    if cfg["bias_correction"] != "standard" or "beta1_power" in cfg:
        raise ValueError("only standard bias correction with step counts")
    for key in ("rescale_grad", "clip_gradient"):
        if key in cfg:
            raise ValueError("'%s' is not supported by this runner" % key)
    dtype = case["dtype"]
    ty = MLIR_TYPE[dtype]
    ity = INT_TYPE[dtype]
    n = len(case["init"]["param"])
    mem = "memref<%dx%s>" % (n, ty)
    states = ["param", "m", "v"] + (["vmax"] if cfg["amsgrad"] else [])
    clip = "max_grad_norm" in cfg

    lines = []
    for k in states:
        lines.append('memref.global "private" constant @init_%s : %s = %s'
                     % (k, mem, dense(case["init"][k])))
    for i, g in enumerate(case["grads"]):
        lines.append('memref.global "private" constant @grad_%d : %s = %s'
                     % (i, mem, dense(g)))
    lines.append("func.func @main() {")
    lines.append("  %c0 = arith.constant 0 : index")
    lines.append("  %c1 = arith.constant 1 : index")
    lines.append("  %%cn = arith.constant %d : index" % n)
    for k in states:
        lines.append("  %%%s = memref.alloc() : %s" % (k, mem))
        lines.append("  %%init_%s = memref.get_global @init_%s : %s" % (k, k, mem))
        lines.append("  memref.copy %%init_%s, %%%s : %s to %s" % (k, k, mem, mem))
    lines.append("  %%g = memref.alloc() : %s" % mem)
    for name, key in (("b1", "beta1"), ("b2", "beta2"), ("eps", "eps"),
                      ("wd", "weight_decay")):
        lines.append("  %%%s = arith.constant %s" % (name, f64(cfg[key])))
    if "grad_scale" in cfg:
        lines.append("  %%scale = arith.constant %s" % f64(cfg["grad_scale"]))
    if clip:
        lines.append("  %%max = arith.constant %s" % f64(cfg["max_grad_norm"]))

    mode = cfg["weight_decay_mode"]
    op = "optim.adamw" if mode == "decoupled" else "optim.adam"
    flags = "".join(" " + f for f in ("amsgrad", "maximize") if cfg[f])
    operands = "%param, %g, %m, %v" + (", %vmax" if cfg["amsgrad"] else "")
    printed = []
    for i, lr in enumerate(case["lr_per_step"]):
        t = case["first_step"] + i
        lines.append("  %%grad_%d = memref.get_global @grad_%d : %s" % (i, i, mem))
        lines.append("  memref.copy %%grad_%d, %%g : %s to %s" % (i, mem, mem))
        lines.append("  %%lr_%d = arith.constant %s" % (i, f64(lr)))
        lines.append("  %%t_%d = arith.constant %d : i64" % (i, t))
        clauses = ""
        if mode != "none":
            clauses += " weight_decay(%wd)"
        clauses += " step(%%t_%d : i64)" % i
        if "grad_scale" in cfg:
            clauses += " grad_scale(%scale)"
        if clip:
            scale = " grad_scale(%scale)" if "grad_scale" in cfg else ""
            lines.append("  %%norm_%d = optim.global_norm %%g : %s%s -> f64"
                         % (i, mem, scale))
            lines.append("  %%norm_bits_%d = arith.bitcast %%norm_%d : f64 to i64"
                         % (i, i))
            lines.append("  vector.print %%norm_bits_%d : i64" % i)
            printed.append(("grad_norm", i))
            clauses += " clip_grad_norm(%%norm_%d, %%max)" % i
        lines.append("  %s%s (%s) : %s scalar_type(f64) lr(%%lr_%d) "
                     "betas(%%b1, %%b2) eps(%%eps)%s"
                     % (op, flags, operands, mem, i, clauses))
    for k in states:
        lines.append("  scf.for %i = %c0 to %cn step %c1 {")
        lines.append("    %%x = memref.load %%%s[%%i] : %s" % (k, mem))
        lines.append("    %%b = arith.bitcast %%x : %s to %s" % (ty, ity))
        lines.append("    vector.print %%b : %s" % ity)
        lines.append("  }")
        printed.extend((k, j) for j in range(n))
    lines.append("  return")
    lines.append("}")
    return "\n".join(lines) + "\n", printed


def run_case(case, args):
    program, printed = build_program(case)
    lowered = subprocess.run(
        [args.optim_opt, "-", "--optim-lower-to-llvm=" + args.pipeline],
        input=program, capture_output=True, text=True)
    if lowered.returncode:
        raise RuntimeError("optim-opt failed: " + lowered.stderr.strip())
    libs = ",".join(os.path.join(args.lib_dir, lib) for lib in
                    ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so",
                     "libomp.so"))
    run = subprocess.run(
        [args.mlir_runner, "-e", "main", "-entry-point-result=void",
         "-shared-libs=" + libs],
        input=lowered.stdout, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError("mlir-runner failed: " + run.stderr.strip())
    values = [int(line) for line in run.stdout.split()]
    if len(values) != len(printed):
        raise RuntimeError("expected %d values, got %d" % (len(printed), len(values)))
    got = {}
    for (k, _), bits in zip(printed, values):
        dtype = "f64" if k == "grad_norm" else case["dtype"]
        got.setdefault(k, []).append(bits_to_float(bits, dtype))
    expected = dict(case["expected"])
    if "expected_grad_norm" in case:
        expected["grad_norm"] = case["expected_grad_norm"]
    tol = case["tolerance"]
    worst = 0.0
    for k, want in expected.items():
        for i, (a, b) in enumerate(zip(got[k], want)):
            allowed = tol["atol"] + tol["rtol"] * abs(b)
            if not abs(a - b) <= allowed:
                return None, "%s[%d] = %r, expected %r" % (k, i, a, b)
            worst = max(worst, abs(a - b) / allowed)
    return worst, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--optim-opt", required=True)
    parser.add_argument("--mlir-runner", required=True)
    parser.add_argument("--lib-dir", required=True)
    parser.add_argument("--pipeline", default="chunk-size=16",
                        help="options of --optim-lower-to-llvm")
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args()
    files = []
    for path in args.inputs:
        files += sorted(glob.glob(os.path.join(path, "*.json"))) \
            if os.path.isdir(path) else [path]
    failed = 0
    for path in files:
        with open(path) as f:
            case = json.load(f)
        name = case.get("name", os.path.basename(path))
        try:
            worst, error = run_case(case, args)
        except (RuntimeError, ValueError) as e:
            worst, error = None, str(e)
        if error:
            print("FAIL %s: %s" % (name, error))
            failed += 1
        else:
            print("PASS %s: %.3f of tolerance" % (name, worst))
    print("%d passed, %d failed" % (len(files) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
