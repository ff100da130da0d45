#!/bin/sh
# pip-installs the package from the source tree into a fresh virtual
# environment (offline: build tools and torch come from the system site
# packages) and runs a step with the installed copy, from outside both trees.
#   pip_install.sh PYTHON SOURCE_DIR LIBOPTIM_C
set -eu
python="$1" source="$2" library="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Build from a copy: an in-tree build would leave build/ and egg-info behind.
cp -r "$source" "$work/src"
"$python" -m venv --system-site-packages "$work/venv"
OPTIM_C_LIBRARY="$library" "$work/venv/bin/python" -m pip install --quiet \
  --no-build-isolation --no-deps --no-index "$work/src"
rm -rf "$work/src"
cd "$work"
env -u OPTIM_C_LIBRARY -u PYTHONPATH "$work/venv/bin/python" - <<'PY'
import os
import optim
# The installed package carries its own copy of the library.
lib = os.path.join(os.path.dirname(optim.__file__), "_lib", "liboptim_c.so")
assert os.path.exists(lib), lib
assert "venv" in optim.__file__, optim.__file__
c = optim.Compiler(1)
step = c.get_step(optim.preset_config("torch.adamw"))
try:
    import torch
except ImportError:
    print("pip install: ok (no torch)")
    raise SystemExit
import optim.torch
p = torch.nn.Parameter(torch.ones(4))
opt = optim.torch.AdamW([p], lr=0.1)
p.grad = torch.ones(4)
opt.step()
assert p[0].item() < 1.0, p
print("pip install: ok")
PY
