"""The dialog module (`www.genesyslab.com/modules/dialog`): treatments played to a caller.

`actions.py`: playsound, play, playandcollect, playandverify, collect, start, pause, stop; `treatments.py`:
runtreatments and `TreatmentRun` (what `<queue:submit>` uses for treatments while queued);
`prompts.py`: prompts, inputs and the duration rule.
"""

from __future__ import annotations

from ..actions import ModuleAction

MODULE = "dialog"


def dialog_actions() -> dict[tuple[str, str], ModuleAction]:
    from .actions import Collect, Pause, Play, PlayAndCollect, PlayAndVerify, PlaySound, Start, Stop
    from .treatments import RunTreatments

    return {(MODULE, cls.name): cls() for cls in (PlaySound, Play, PlayAndCollect, PlayAndVerify, Collect, Start,
                                                  Pause, Stop, RunTreatments)}
