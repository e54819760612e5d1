"""The base of every configuration model (CFG-1): unknown keys are errors, models are
immutable, and no number may be NaN or infinite (a NaN bound compares false with
everything, so `age > nan` would quietly disable the guard it configures)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
