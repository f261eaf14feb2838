"""Findings state between runs: the store, its two backends and the pure transition function."""

from shared.state.model import FindingState, RunRecord, Status
from shared.state.store import StateStore
from shared.state.transitions import Transition, apply_run

__all__ = ["FindingState", "RunRecord", "StateStore", "Status", "Transition", "apply_run"]
