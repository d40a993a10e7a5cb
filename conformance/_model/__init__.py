"""Model-based state testing: random sequences of operations checked against an executable
model of the contract's R7 and R8 (see _state), drawn from a seeded generator and shrunk by
deleting steps (see _phase)."""

from ._phase import ModelStopped, model_phase
from ._sequence import Contradiction, Sequence
from ._state import Model, Step

__all__ = ["Contradiction", "Model", "ModelStopped", "Sequence", "Step", "model_phase"]
