"""Bundles liboptim_c.so into the package when it is built.

The library comes from $OPTIM_C_LIBRARY or, by default, from the project's
build tree (build/lib/liboptim_c.so, three directories up). Without either,
the package is installed without it and finds an installed liboptim_c.so
through $OPTIM_C_LIBRARY or the dynamic loader at import time.
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithLibrary(build_py):

    def run(self):
        super().run()
        library = os.environ.get("OPTIM_C_LIBRARY") or os.path.join(
            HERE, "..", "..", "..", "build", "lib", "liboptim_c.so")
        if os.path.exists(library):
            target = os.path.join(self.build_lib, "optim", "_lib")
            os.makedirs(target, exist_ok=True)
            shutil.copy(library, os.path.join(target, "liboptim_c.so"))


setup(cmdclass={"build_py": BuildPyWithLibrary})
