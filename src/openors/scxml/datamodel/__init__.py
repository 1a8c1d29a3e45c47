"""Datamodels: where a session's variables live and its expressions are evaluated."""

from .base import Datamodel, SessionInfo


def create_datamodel(kind: str, info: SessionInfo, **options) -> Datamodel:
    if kind == "null":
        from .null import NullDatamodel

        return NullDatamodel(info)
    from .ecmascript import EcmaScriptDatamodel

    return EcmaScriptDatamodel(info, **options)


__all__ = ["Datamodel", "SessionInfo", "create_datamodel"]
