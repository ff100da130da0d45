# -*- Python -*-
# lit configuration for optim, modelled on mlir/examples/standalone.

import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "OPTIM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.optim_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "README.txt", "lit.cfg.py",
                   "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%shlibext", ".so"))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
config.substitutions.append(("%optim_obj_root", config.optim_obj_root))
# Host programs link against the project's libraries: same sanitizers.
clangxx = os.path.join(config.llvm_tools_dir, "clang++")
if config.optim_sanitizers:
    clangxx += " -fsanitize=address,undefined"
config.substitutions.append(("%clangxx", clangxx))
config.substitutions.append(("%cuda_runtime_dir", os.path.join(
    config.optim_obj_root, "lib", "Runtime", "CUDA")))
config.substitutions.append(("%golden_dir", os.path.join(
    os.path.dirname(config.optim_src_root), "shared", "golden")))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
# Tests never touch the user's kernel cache (~/.cache/optim): they share one
# in the build tree (entries are keyed by optim's build, so never stale).
config.environment["OPTIM_CACHE_DIR"] = os.path.join(config.test_exec_root, "optim-kernel-cache")
llvm_config.use_default_substitutions()

tool_dirs = [config.optim_tools_dir, config.llvm_tools_dir]
tools = [
    "optim-opt",
    ToolSubst("optim-conformance", unresolved="ignore"),
    ToolSubst("optim-aot", unresolved="ignore"),
    ToolSubst("optim-bench", unresolved="ignore"),
    ToolSubst("optim-train", unresolved="ignore"),
    "mlir-runner",
    "llvm-nm",
    "llvm-objdump",
    "not",
    "count",
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Features.
# The CUDA toolkit's bin directory is where ptxas usually lives.
# MLIR's NVVM serialiser finds libdevice through CUDA_ROOT/CUDA_HOME/CUDA_PATH.
llvm_config.with_system_environment(["CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"])
cuda_bin = "/usr/local/cuda/bin"
if os.path.isdir(cuda_bin):
    llvm_config.with_environment("PATH", cuda_bin, append_path=True)
    if not any(v in config.environment for v in ("CUDA_ROOT", "CUDA_HOME", "CUDA_PATH")):
        config.environment["CUDA_HOME"] = os.path.dirname(cuda_bin)
if shutil.which("ptxas", path=config.environment.get("PATH")):
    config.available_features.add("ptxas")
# A GPU on the machine running lit (tests that need its absence say so).
if os.path.exists("/dev/nvidia0"):
    config.available_features.add("cuda-device")
if config.optim_have_cuda_headers:
    config.available_features.add("cuda-headers")
if os.path.exists(os.path.join(config.mlir_lib_dir, "libomp.so")):
    config.available_features.add("libomp")
golden = os.path.join(os.path.dirname(config.optim_src_root), "shared", "golden")
if os.path.isdir(golden):
    config.available_features.add("golden")
