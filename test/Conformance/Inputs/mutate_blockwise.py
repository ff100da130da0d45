"""Writes a copy of an 8-bit golden case with one expectation changed, for
the tests that show the conformance check is not vacuous.

  mutate_blockwise.py CASE OUT code     a code off by 2 (never a near-tie)
  mutate_blockwise.py CASE OUT absmax   one absmax 1% off
  mutate_blockwise.py CASE OUT map      the expected param of a case whose
                                        m codes are decoded with the wrong
                                        sign (what a swapped map gives)
  mutate_blockwise.py CASE OUT clipnorm an inactive clipping bound with
                                        wrong expected norms (the norm must
                                        be computed and checked)
  mutate_blockwise.py CASE OUT infnorm  a clipping case whose expected norms
                                        are infinite (1e999, an invalid case)
"""
import json
import sys

case_path, out_path, kind = sys.argv[1:4]
with open(case_path) as f:
    case = json.load(f)
expected = case["expected"]
case["name"] = case["name"] + "_" + kind
if kind == "code":
    i = next(i for i, c in enumerate(expected["m_codes"]) if 2 <= c <= 253)
    expected["m_codes"][i] += 2
elif kind == "absmax":
    expected["v_absmax"][3] *= 1.01
elif kind == "map":
    expected["m"] = [-x for x in expected["m"]]
elif kind == "clipnorm":
    case["config"]["max_grad_norm"] = 1e30
    case["expected_grad_norm"] = [12345.0] * len(case["grads"])
elif kind == "infnorm":
    case["expected_grad_norm"] = ["INF"] * len(case["expected_grad_norm"])
else:
    sys.exit("unknown mutation " + kind)
with open(out_path, "w") as f:
    f.write(json.dumps(case).replace('"INF"', "1e999"))
