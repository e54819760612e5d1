"""A class of the user's own, resolved from the configuration (STR-2): a strategy from
`strategies.yaml`, a universe filter from `universe.yaml`. The configuration loader finds
the class and validates its parameters; the decision core builds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel


class Configured(Protocol):
    """Built from its id and its validated parameters."""

    def __init__(self, plugin_id: str, params: Any, /) -> None: ...


T = TypeVar("T", bound=Configured)


@dataclass(frozen=True)  # no slots: a subscripted generic sets __orig_class__ on instances
class Plugin(Generic[T]):
    """Its id (a registry id, a filter id), its class, its validated parameters, and the
    reference it was named by."""

    plugin_id: str
    cls: type[T]
    params: BaseModel
    source: str

    def build(self) -> T:
        return self.cls(self.plugin_id, self.params)
