"""Builds openors.scxml.datamodel._quickjs, our QuickJS-ng binding (why: its C file's header).

The QuickJS-ng sources are not kept in this repository. They come from the PyPI sdist of
`quickjs-ng` (its `upstream-quickjs/` folder), fetched with pip at build time, pinned to one
version and checked against its SHA-256 before anything is compiled. For an offline build, point
OPENORS_QUICKJS_SDIST at a copy of that file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SDIST_VERSION = "0.17.0.2"
SDIST_NAME = f"quickjs_ng-{SDIST_VERSION}.tar.gz"
SDIST_SHA256 = "43d2e48272208721a7aaea8e3f02d4b9318f12ef20cc4f5421b59d9a470706ef"
ENGINE_FILES = ("quickjs.c", "libregexp.c", "libunicode.c", "dtoa.c")
HERE = Path(__file__).resolve().parent
CACHE = HERE / "build" / "quickjs-ng"
DATAMODEL = Path("src", "openors", "scxml", "datamodel")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sdist() -> Path:
    given = os.environ.get("OPENORS_QUICKJS_SDIST")
    path = Path(given) if given else CACHE / SDIST_NAME
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "--dest", str(CACHE), f"quickjs-ng=={SDIST_VERSION}"], check=True, timeout=600)
    digest = _sha256(path)
    if digest != SDIST_SHA256:
        raise SystemExit(f"{path}: SHA-256 is {digest}, expected {SDIST_SHA256} (quickjs-ng {SDIST_VERSION})")
    return path


def _engine_sources() -> Path:
    """The folder holding upstream's quickjs.h and .c files, extracted from the checked sdist."""
    target = CACHE / f"upstream-{SDIST_VERSION}"
    if not (target / "quickjs.h").exists():
        prefix = f"quickjs_ng-{SDIST_VERSION}/upstream-quickjs/"
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(_sdist()) as tar:
            for member in tar.getmembers():
                name = member.name
                if member.isfile() and name.startswith(prefix) and "/" not in name[len(prefix):]:
                    data = tar.extractfile(member).read()
                    (target / name[len(prefix):]).write_bytes(data)
    return target


class BuildWithQuickJS(build_ext):
    def build_extensions(self):
        upstream = _engine_sources()
        for ext in self.extensions:
            ext.include_dirs.append(str(upstream))
            ext.sources += [str(upstream / f) for f in ENGINE_FILES if f != "quickjs.c"]
        super().build_extensions()


quickjs_ext = Extension(
    "openors.scxml.datamodel._quickjs",
    sources=[str(DATAMODEL / "_quickjs.c"), str(DATAMODEL / "_quickjs_engine.c"), str(DATAMODEL / "_quickjs_slab.c")],
    define_macros=[("_GNU_SOURCE", None)],
    extra_compile_args=["-O2", "-Wno-sign-compare", "-Wno-unused-parameter", "-Wno-cpp"],
)

setup(ext_modules=[quickjs_ext], cmdclass={"build_ext": BuildWithQuickJS})
