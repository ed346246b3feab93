"""The compiled kernel, built where a compiler exists.

``sknn_digits.core._fused`` is optional: without a compiler (or on a platform the build
fails on) the package installs without it and evaluates with its numpy kernel, the
reference the compiled one is tested against.  Everything else is in pyproject.toml.
"""

import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# -ffast-math lets the compiler call the C library's vector exp and log1p; the loops never
# rely on infinities (every exponential is of a non-positive number).  It is given to the
# compiler only, never to the linker, which would add crtfastmath.o: that sets the
# processor's flush-to-zero mode for the whole process when the module loads.
compile_args = [] if sys.platform == "win32" else ["-O3", "-ffast-math"]
link_args = ["-lm"] if sys.platform.startswith("linux") else []

extensions = cythonize(
    [Extension("sknn_digits.core._fused", ["sknn_digits/core/_fused.pyx"],
               include_dirs=["sknn_digits/core"], extra_compile_args=compile_args,
               extra_link_args=link_args)],
    compiler_directives={"language_level": 3}, quiet=True)
for extension in extensions:  # cythonize's copies drop the flag: set it on them
    extension.optional = True  # a failed build leaves the numpy kernel, not a failed install

setup(ext_modules=extensions)
