"""ECMAScript built-ins ORS applications call, as JavaScript sources shipped with the package.

`tosource.js`: SpiderMonkey's `uneval()` and `toSource()`.
`ors_host.js`: `__Log`, `__Raise`, `__GetCurrentStates`, `__GetDocumentURL` and the host contract
they follow (read its header).
"""

from __future__ import annotations

from importlib import resources

# In evaluation order; each file is an independent script and may be evaluated again safely.
BUILTIN_SCRIPTS = ("tosource.js", "ors_host.js")


def load_js(name: str) -> str:
    """The text of one of this package's scripts, by file name ("tosource.js") or stem ("tosource")."""
    file_name = name if name.endswith(".js") else f"{name}.js"
    if "/" in file_name or "\\" in file_name:
        raise ValueError(f"not a script name: {name!r}")
    return resources.files(__package__).joinpath(file_name).read_text(encoding="utf-8")


def builtins_source() -> str:
    """All ORS built-in scripts, ready for one `ctx.eval()`."""
    return "\n;\n".join(load_js(name) for name in BUILTIN_SCRIPTS)
