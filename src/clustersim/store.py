"""The cluster's state store: one SQLite file (WAL) shared by rgmd and the query commands.

Why SQLite: every scha_*_get is a separate short-lived process that must read a consistent
picture fast, while rgmd writes; WAL gives readers a snapshot without blocking the writer,
and `BEGIN IMMEDIATE` makes concurrent writers (rgmd, scha_resource_setstatus) queue up
instead of corrupting each other. Properties are JSON objects keyed by their canonical
(RTR or rg_properties(5)) spelling; lookups are case-insensitive like the real optags.
"""

from __future__ import annotations

import sys
import time

from clustersim import jsonline

TYPE_CHECKING = False  # typing costs ~10 ms of start-up; annotations are lazy

if TYPE_CHECKING:  # keep the query commands' start-up light: no typing/pathlib/re at run time
    from pathlib import Path
    from typing import Any


def _memo(maxsize: int | None = 128, typed: bool = False) -> Any:
    """functools.lru_cache as far as _sqlite3 uses it (its per-connection statement cache):
    a memo keyed by the SQL text. Unbounded, which is safe because every statement this
    module runs is one of a fixed set of SQL strings."""

    def wrap(make: Any) -> Any:
        cache: dict[str, Any] = {}

        def cached(sql: str) -> Any:
            try:
                return cache[sql]
            except KeyError:
                made = cache[sql] = make(sql)
                return made

        return cached

    return wrap


def _import_sqlite() -> Any:
    """The C module itself: sqlite3's Python layer (datetime adapters) costs ~7 ms a command.

    _sqlite3 in turn imports functools only to take `lru_cache` for its statement cache,
    and functools drags in collections, operator, reprlib...: 5-6 ms more for every
    scha_* query, a third of its cost above the interpreter's own start. A process that has
    not loaded functools yet (a query command) lends _sqlite3 `_memo` instead, for the
    length of the import only; anything unexpected and the real import happens.
    """
    if "functools" not in sys.modules and "_sqlite3" not in sys.modules:
        lent = type(sys)("functools")
        lent.lru_cache = _memo
        sys.modules["functools"] = lent
        try:
            import _sqlite3  # noqa: PLC0415

            return _sqlite3
        except Exception:  # a Python whose _sqlite3 wants more of functools: no shortcut
            sys.modules.pop("_sqlite3", None)
        finally:
            if sys.modules.get("functools") is lent:
                del sys.modules["functools"]
    try:
        import _sqlite3  # noqa: PLC0415

        return _sqlite3
    except ImportError:  # pragma: no cover - every CPython build with sqlite3 has _sqlite3
        import sqlite3  # noqa: PLC0415

        return sqlite3


sqlite3 = _import_sqlite()

SCHEMA = """
CREATE TABLE IF NOT EXISTS rt (name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rg (name TEXT PRIMARY KEY, managed INTEGER NOT NULL,
    props TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rs (name TEXT PRIMARY KEY, rg TEXT NOT NULL, type TEXT NOT NULL,
    props TEXT NOT NULL, ext TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rs_switch (rs TEXT, node TEXT, on_off INTEGER, monitored INTEGER,
    PRIMARY KEY (rs, node));
CREATE TABLE IF NOT EXISTS rg_state (rg TEXT, node TEXT, state TEXT, PRIMARY KEY (rg, node));
CREATE TABLE IF NOT EXISTS rs_state (rs TEXT, node TEXT, state TEXT, status TEXT, msg TEXT,
    PRIMARY KEY (rs, node));
CREATE TABLE IF NOT EXISTS node (name TEXT PRIMARY KEY, id INTEGER, state TEXT);
CREATE TABLE IF NOT EXISTS event (kind TEXT, obj TEXT, node TEXT, t REAL);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER);
"""


_loads = jsonline.loads  # json.loads without json's imports (re), ~10 ms per command


def _dumps(value: Any) -> str:
    import json  # noqa: PLC0415 - only writers (rgmd) pay for it

    return json.dumps(value)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def iget(props: dict[str, Any], name: str) -> tuple[str, Any] | None:
    """Case-insensitive property lookup: (canonical name, value) or None."""
    if name in props:
        return name, props[name]
    low = name.lower()
    for key, value in props.items():
        if key.lower() == low:
            return key, value
    return None


class Store:
    """Thin typed access to the state tables; one connection per process."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout=30000")
        # WAL with synchronous=NORMAL: a commit is durable once in the log, without an
        # fsync each (the RGM commits every state change; a fsync is milliseconds on a
        # virtual disk). A process killed at any point loses nothing committed; only the
        # machine losing power could lose the last commits, and a stand-in cluster does
        # not outlive its machine's boot (hostlab's hosts are gone with it).
        self.db.execute("PRAGMA synchronous=NORMAL")

    @classmethod
    def create(cls, path: Path, nodes: list[str]) -> Store:
        store = cls(path)
        store.db.execute("PRAGMA journal_mode=WAL")
        store.db.executescript(SCHEMA)
        with store.tx():
            for i, node in enumerate(nodes, 1):
                store.db.execute("INSERT OR REPLACE INTO node VALUES (?,?,?)", (node, i, "DOWN"))
        return store

    def close(self) -> None:
        self.db.close()

    def tx(self) -> _Transaction:
        """A write transaction taken up front, so two writers never deadlock on upgrade."""
        return _Transaction(self.db)

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        row = self.db.execute(sql, args).fetchone()
        return row

    # --- nodes ----------------------------------------------------------------
    def nodes(self) -> list[tuple[str, int, str]]:
        return list(self.db.execute("SELECT name, id, state FROM node ORDER BY id"))

    def node_state(self, node: str) -> str | None:
        row = self._one("SELECT state FROM node WHERE name=?", (node,))
        return row[0] if row else None

    def up_nodes(self) -> list[str]:
        return [n for n, _i, s in self.nodes() if s == "UP"]

    def set_node_state(self, node: str, state: str) -> None:
        self.db.execute("UPDATE node SET state=? WHERE name=?", (state, node))

    # --- resource types -------------------------------------------------------
    def rt(self, name: str) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM rt WHERE name=?", (name,))
        return _loads(row[0]) if row else None

    def rts(self) -> list[dict[str, Any]]:
        return [_loads(r[0]) for r in self.db.execute("SELECT data FROM rt ORDER BY rowid")]

    def put_rt(self, data: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO rt VALUES (?,?)", (data["name"], _dumps(data)))

    def del_rt(self, name: str) -> None:
        self.db.execute("DELETE FROM rt WHERE name=?", (name,))

    def resolve_rt(self, name: str) -> str | None:
        """Full type name for `name` with or without `:version` (None: unknown/ambiguous)."""
        names = [r[0] for r in self.db.execute("SELECT name FROM rt")]
        if name in names:
            return name
        low = name.lower()
        exact = [n for n in names if n.lower() == low]
        if len(exact) == 1:
            return exact[0]
        base = [n for n in names if n.split(":", 1)[0].lower() == low]
        return base[0] if len(base) == 1 else None

    # --- resource groups ------------------------------------------------------
    def rg(self, name: str) -> dict[str, Any] | None:
        row = self._one("SELECT name, managed, props FROM rg WHERE name=?", (name,))
        if not row:
            return None
        return {"name": row[0], "managed": bool(row[1]), "props": _loads(row[2])}

    def rg_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM rg ORDER BY seq")]

    def put_rg(self, name: str, managed: bool, props: dict[str, Any]) -> None:
        row = self._one("SELECT seq FROM rg WHERE name=?", (name,))
        seq = row[0] if row else self.next_seq()
        self.db.execute("INSERT OR REPLACE INTO rg VALUES (?,?,?,?)",
                        (name, int(managed), _dumps(props), seq))

    def del_rg(self, name: str) -> None:
        self.db.execute("DELETE FROM rg WHERE name=?", (name,))
        self.db.execute("DELETE FROM rg_state WHERE rg=?", (name,))

    def next_seq(self) -> int:
        row = self._one("SELECT value FROM counter WHERE name='seq'")
        value = (row[0] if row else 0) + 1
        self.db.execute("INSERT OR REPLACE INTO counter VALUES ('seq', ?)", (value,))
        return value

    def next_counter(self, name: str) -> int:
        row = self._one("SELECT value FROM counter WHERE name=?", (name,))
        value = (row[0] if row else 0) + 1
        self.db.execute("INSERT OR REPLACE INTO counter VALUES (?, ?)", (name, value))
        return value

    # --- resources ------------------------------------------------------------
    def rs(self, name: str) -> dict[str, Any] | None:
        row = self._one("SELECT name, rg, type, props, ext FROM rs WHERE name=?", (name,))
        if not row:
            return None
        return {"name": row[0], "rg": row[1], "type": row[2], "props": _loads(row[3]),
                "ext": _loads(row[4])}

    def rs_names(self, rg: str | None = None) -> list[str]:
        if rg is None:
            return [r[0] for r in self.db.execute("SELECT name FROM rs ORDER BY seq")]
        return [r[0] for r in self.db.execute("SELECT name FROM rs WHERE rg=? ORDER BY seq", (rg,))]

    def rs_of_type(self, rt: str) -> list[str]:
        rows = self.db.execute("SELECT name FROM rs WHERE type=? ORDER BY seq", (rt,))
        return [r[0] for r in rows]

    def put_rs(self, name: str, rg: str, rtype: str, props: dict[str, Any],
               ext: dict[str, Any]) -> None:
        row = self._one("SELECT seq FROM rs WHERE name=?", (name,))
        seq = row[0] if row else self.next_seq()
        self.db.execute("INSERT OR REPLACE INTO rs VALUES (?,?,?,?,?,?)",
                        (name, rg, rtype, _dumps(props), _dumps(ext), seq))

    def del_rs(self, name: str) -> None:
        for table, col in (("rs", "name"), ("rs_state", "rs"), ("rs_switch", "rs")):
            self.db.execute(f"DELETE FROM {table} WHERE {col}=?", (name,))  # noqa: S608

    # --- switches (On_off_switch / Monitored_switch are per node in SC 3.2; one value here)
    def switches(self, rs: str) -> tuple[bool, bool]:
        row = self._one("SELECT on_off, monitored FROM rs_switch WHERE rs=? AND node='*'", (rs,))
        return (bool(row[0]), bool(row[1])) if row else (False, True)

    def set_switches(self, rs: str, on_off: bool, monitored: bool) -> None:
        self.db.execute("INSERT OR REPLACE INTO rs_switch VALUES (?,?,?,?)",
                        (rs, "*", int(on_off), int(monitored)))

    # --- states ---------------------------------------------------------------
    def rg_state(self, rg: str, node: str) -> str:
        row = self._one("SELECT state FROM rg_state WHERE rg=? AND node=?", (rg, node))
        return row[0] if row else "UNMANAGED"

    def set_rg_state(self, rg: str, node: str, state: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO rg_state VALUES (?,?,?)", (rg, node, state))

    def rs_state(self, rs: str, node: str) -> tuple[str, str, str]:
        row = self._one("SELECT state, status, msg FROM rs_state WHERE rs=? AND node=?", (rs, node))
        return (row[0], row[1], row[2]) if row else ("OFFLINE", "OFFLINE", "")

    def set_rs_state(self, rs: str, node: str, state: str) -> None:
        _old, status, msg = self.rs_state(rs, node)
        self.db.execute("INSERT OR REPLACE INTO rs_state VALUES (?,?,?,?,?)",
                        (rs, node, state, status, msg))

    def set_rs_status(self, rs: str, node: str, status: str, msg: str) -> None:
        state = self.rs_state(rs, node)[0]
        self.db.execute("INSERT OR REPLACE INTO rs_state VALUES (?,?,?,?,?)",
                        (rs, node, state, status, msg))

    # --- events (restart counters, ping-pong history) -------------------------
    def add_event(self, kind: str, obj: str, node: str, t: float | None = None) -> None:
        self.db.execute("INSERT INTO event VALUES (?,?,?,?)",
                        (kind, obj, node, time.time() if t is None else t))

    def events(self, kind: str, obj: str, since: float, node: str | None = None) -> list[
            tuple[str, float]]:
        rows = self.db.execute("SELECT node, t FROM event WHERE kind=? AND obj=? AND t>=?",
                               (kind, obj, since))
        return [(n, t) for n, t in rows if node is None or n == node]
