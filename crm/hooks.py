"""Named hooks: how a lower floor lets the floors above it add their work without importing them.

The apps stand on floors and import only downwards (the layers contract in pyproject.toml). Where a lower floor
must cause work on a higher one at run time — a customer save refreshes its tier, a logged visit moves campaign
plans, the customer page shows the team and the campaigns — the lower floor declares a `Hook` and calls it; the
higher app registers its receiver by name in its `AppConfig.ready`. Unlike a signal, every hook is declared where
it is called, with the arguments it passes and what it expects back, and receivers run in the order the apps are
installed (lower floors first), inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class Hook:
    """One named point of extension: receivers keyed by name, called in registration order."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc
        self._receivers: dict[str, Callable[..., Any]] = {}

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {', '.join(self._receivers) or 'no receivers'}>"

    def register(self, key: str, receiver: Callable[..., Any]) -> None:
        """Add (or replace: `ready` may run twice in tests) the receiver known as `key`."""
        self._receivers[key] = receiver

    def __iter__(self) -> Iterator[Callable[..., Any]]:
        return iter(list(self._receivers.values()))

    def __call__(self, **kwargs: Any) -> list[Any]:
        """Call every receiver with the same keyword arguments; their results, in order."""
        return [receiver(**kwargs) for receiver in self]


class Slot:
    """A hook with at most one receiver that answers for the higher floor (e.g. the campaign plans a visit
    may move); `provider` is None while no app has filled it, and the lower floor then leaves that part out."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc
        self.provider: Any = None

    def __repr__(self) -> str:
        return f"<Slot {self.name}: {self.provider!r}>"

    def fill(self, provider: Any) -> None:
        self.provider = provider


customer_data_written = Hook(
    "crm.customer_data_written",
    """Jobs of the floors above that rewrite customers' data in bulk (an import), so that a figure computed before
    one can say it predates it (the KPI dashboard). Called with `region` (a Region); each receiver returns
    `(key, label, runs)`: a short key of its kind, what it is in the user's language ("an import"), and a QuerySet
    of its finished runs that wrote customers of that region, with a `finished_at` field.""",
)
