"""harpia-store: async key-value stores with atomic capabilities, and a cache.

``MemoryStore`` (in process) and ``RedisStore`` (shared between processes) implement the
``Store`` protocol and every optional capability protocol; ``adapt`` turns any get/set
object into a ``Store``; ``Cache`` adds prefixes, a default ttl and single-flight
``remember``.
"""

from ._adapt import adapt as adapt
from ._cache import Cache as Cache
from ._connect import redis_client as redis_client
from ._errors import StoreError as StoreError
from ._memory import MemoryStore as MemoryStore
from ._protocols import Store as Store
from ._protocols import StoreLike as StoreLike
from ._protocols import SupportsCounters as SupportsCounters
from ._protocols import SupportsExpire as SupportsExpire
from ._protocols import SupportsIncr as SupportsIncr
from ._protocols import SupportsKeys as SupportsKeys
from ._protocols import SupportsLists as SupportsLists
from ._protocols import SupportsSets as SupportsSets
from ._redis import RedisStore as RedisStore
from ._version import __version__ as __version__

__all__ = (
    "Cache",
    "MemoryStore",
    "RedisStore",
    "Store",
    "StoreError",
    "StoreLike",
    "SupportsCounters",
    "SupportsExpire",
    "SupportsIncr",
    "SupportsKeys",
    "SupportsLists",
    "SupportsSets",
    "__version__",
    "adapt",
    "redis_client",
)
