"""Resource type registration (RTR) files, rt_reg(4): the parser and the model.

`rtr/SUNW.ims` is the one source of truth for the resource type's properties: the cluster
stand-in registers types from it, the man page documents properties from it, and Validate
checks values against it. So the parser is strict where the RGM is (every mistake is an
`RtrError` with `file:line:col`) and faithful where real files are loose (lower-case keywords,
bare values such as `(INSTALL_DIRECTORY)`, `DEFAULT = ;`).

The file has two parts: resource type properties (`Resource_type` first), then property
declarations in braces; `#$upgrade` / `#$upgrade_from` directives sit between the two.
Columns count characters from 1 (a tab is one column).

Decisions where rt_reg(4) is silent, kept in one place so review can find them:

* A `<method>_timeout` declared for a method the file does not declare is a *warning*
  (`ResourceType.warnings`), not an error: the RGM creates timeouts only for declared methods,
  so the declaration is dead but harmless. The property is kept in `properties` (it is in the
  file) and left out of `resource_properties()` (a resource never has it).
* A quoted value ends on its own line; an unterminated quote is reported where it opens.
* Property names must be identifiers (a letter, then letters, digits, `_`): they are used
  as `-x name=value` and as shell-free command arguments.
* Integers are decimal with an optional sign and must fit a C int, as in the RGM.
* A relative method path needs `RT_basedir`; a non-absolute `RT_basedir` (Ingres' installer
  placeholder) is accepted with a warning.
* Query-only system properties (Status, Resource_state, ...) and Type_version cannot be
  declared; others may be redeclared with their own type only (an ENUM's values are fixed).
* Check order: the first mistake in file order stops the parse (one error, not a list);
  whole-type rules (START/STOP present, relative paths need RT_basedir) are checked after the
  resource type section and reported at `Resource_type`.
* The registered name carries `:RT_version` only when the file has `#$upgrade` (the
  Planning and Administration Guide's "Format of Resource Type Names").
* System defaults and tunabilities follow r_properties(5) of Sun Cluster 3.2 (see
  `sysprops`); Type_version defaults to RT_version and is tunable ANYTIME when the file
  has `#$upgrade` (the RGM then applies the `#$upgrade_from` constraints), else AT_CREATION.
* `#$upgrade_from` needs a preceding `#$upgrade` (the Developer's Guide: "a #$upgrade
  directive, followed by zero or more" upgrade_from directives).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional, Union

from scims.cluster.sysprops import (
    METHODS,
    SYSTEM_PROPERTIES,
    TIMEOUT_METHOD,
    Category,
    SystemProperty,
    Value,
)
from scims.cluster.sysprops import lookup as lookup_system_property

__all__ = [
    "Location",
    "PropertyDecl",
    "PropertyValueError",
    "ResourceProperty",
    "ResourceType",
    "RtrError",
    "RtrWarning",
    "UnknownPropertyError",
    "convert_value",
    "parse_file",
    "parse_text",
]

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1

UPGRADE_TUNABILITIES = (
    "ANYTIME", "AT_CREATION", "WHEN_DISABLED", "WHEN_OFFLINE", "WHEN_UNMANAGED",
    "WHEN_UNMONITORED",
)
"""Tunability keywords of `#$upgrade_from` (Developer's Guide, "Directives")."""

_TUNABLE_ALIASES = {
    "NONE": "NONE", "FALSE": "NONE", "TRUE": "ANYTIME", "ANYTIME": "ANYTIME",
    "AT_CREATION": "AT_CREATION", "WHEN_DISABLED": "WHEN_DISABLED",
}
_INIT_NODES = ("RG_PRIMARIES", "RT_INSTALLED_NODES")
_RT_VERSION_FORBIDDEN = set(" \t/\\*?,;[]")
_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_TYPES = ("STRING", "INT", "BOOLEAN", "ENUM", "STRINGARRAY")
_INT_ATTRS = ("MIN", "MAX", "MINLENGTH", "MAXLENGTH", "ARRAY_MINSIZE", "ARRAY_MAXSIZE")


# --------------------------------------------------------------------------- errors


class RtrError(Exception):
    """A mistake in an RTR file, located so an editor can jump to it."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{col}: {message}")
        self.path = path
        self.line = line
        self.col = col
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


@dataclass(frozen=True)
class RtrWarning:
    """Something legal but probably unintended; the registering tool decides whether to print."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: warning: {self.message}"


class PropertyValueError(ValueError):
    """A value an administrator gave for a property is not legal; the message names both."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnknownPropertyError(KeyError):
    """A lookup named a property resources of this type do not have."""

    def __init__(self, name: str, type_name: str) -> None:
        super().__init__(name)
        self.name = name
        self.message = f"resource type {type_name} has no property {name}"

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- model


class Location(NamedTuple):
    """Where a declaration starts in its file (1-based)."""

    line: int
    col: int


@dataclass
class PropertyDecl:
    """One `{ PROPERTY = ...; }` block, with the system defaults filled in.

    Type, default, tunability and (for system-defined properties) the bounds are the
    effective ones: what the file says, else what r_properties(5) says. `explicit` lists the
    attributes the file itself gave, for tools that show what a type overrides.
    """

    name: str
    extension: bool
    type: str
    enum_values: list[str] = field(default_factory=list)
    default: Value = None
    min: Optional[int] = None
    max: Optional[int] = None
    minlength: Optional[int] = None
    maxlength: Optional[int] = None
    array_minsize: Optional[int] = None
    array_maxsize: Optional[int] = None
    tunable: str = "ANYTIME"
    description: str = ""
    location: Location = field(default_factory=lambda: Location(1, 1))
    explicit: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResourceProperty:
    """A property every resource of a type has, as the RGM would create it."""

    name: str
    extension: bool
    type: str
    default: Value
    """None: no default, so a value must be given when the resource is created."""
    tunable: str
    description: str
    enum_values: tuple[str, ...] = ()
    min: Optional[int] = None
    max: Optional[int] = None
    minlength: Optional[int] = None
    maxlength: Optional[int] = None
    array_minsize: Optional[int] = None
    array_maxsize: Optional[int] = None
    query_only: bool = False
    """Kept by the RGM (Status, Resource_state, ...): no administrator sets it."""
    declared: bool = False
    """Declared in the RTR file (extension properties always are)."""

    @property
    def settable(self) -> bool:
        """Whether an administrator may ever give a value (at creation at least)."""
        return not self.query_only

    @property
    def required(self) -> bool:
        """Whether creating a resource needs a value for it (settable, no default)."""
        return self.settable and self.default is None


@dataclass
class ResourceType:
    """A registered resource type: the resource type properties and the paramtable."""

    resource_type: str
    vendor_id: Optional[str] = None
    rt_description: Optional[str] = None
    rt_version: Optional[str] = None
    api_version: int = 2
    failover: bool = False
    init_nodes: str = "RG_PRIMARIES"
    single_instance: bool = False
    rt_basedir: Optional[str] = None
    pkglist: list[str] = field(default_factory=list)
    rt_system: bool = False
    global_zone: bool = False
    proxy: bool = False
    methods: dict[str, str] = field(default_factory=dict)
    """Canonical method name (`Start`, `Monitor_start`, ...) -> path as written."""
    upgrade: bool = False
    upgrade_from: list[tuple[str, str]] = field(default_factory=list)
    """(RT_version upgraded from, tunability); "" stands for types without a version."""
    properties: list[PropertyDecl] = field(default_factory=list)
    path: str = "<string>"
    warnings: list[RtrWarning] = field(default_factory=list)

    @property
    def name(self) -> str:
        """`Vendor_id.Resource_type`, the name without version (`SUNW.ims`)."""
        if self.vendor_id:
            return f"{self.vendor_id}.{self.resource_type}"
        return self.resource_type

    @property
    def full_name(self) -> str:
        """The name the RGM registers: `SUNW.qfs:5` for an upgrade-aware type, else `name`.

        "The version suffix is only part of the complete resource type name if the RTR file
        contains the #$upgrade directive" (Sun Cluster Data Services Planning and
        Administration Guide, "Format of Resource Type Names", 817-6555 and 820-2559)."""
        if self.upgrade and self.rt_version:
            return f"{self.name}:{self.rt_version}"
        return self.name

    # Named for what it returns, a property declaration (`rt.property("Retry_count")`); from
    # here on, `property` in this class body is this method, not the builtin decorator, so
    # keep every @property above it.
    def property(self, name: str) -> PropertyDecl:
        """The declaration of `name` in this file, any case; UnknownPropertyError if none."""
        key = name.lower()
        for decl in self.properties:
            if decl.name.lower() == key:
                return decl
        raise UnknownPropertyError(name, self.full_name)

    def method_path(self, method: str) -> str:
        """Absolute path of a declared method: relative paths are under RT_basedir."""
        canonical = _canonical_method(method)
        if canonical is None or canonical not in self.methods:
            raise UnknownPropertyError(method, self.full_name)
        path = self.methods[canonical]
        if path.startswith("/") or not self.rt_basedir:
            return path
        return posixpath.join(self.rt_basedir, path)

    def resource_properties(self) -> list[ResourceProperty]:
        """Every property a resource of this type has, as the RGM creates them.

        System-defined ones that always exist, the method timeouts of the declared methods,
        the conditional ones the file declares (all the load-balancing ones when it declares
        Scalable), the query-only ones, then the extension properties in declaration order.
        """
        declared = {d.name.lower(): d for d in self.properties}
        scalable = "scalable" in declared
        result: list[ResourceProperty] = []
        for sysprop in _SYSTEM_LISTING:
            key = sysprop.name.lower()
            if sysprop.category is Category.METHOD_TIMEOUT:
                if TIMEOUT_METHOD[key] not in self.methods:
                    continue
            elif sysprop.category is Category.CONDITIONAL:
                if key not in declared:
                    continue
            elif sysprop.category is Category.SCALABLE:
                if key not in declared and not scalable:
                    continue
            decl = declared.get(key)
            if decl is not None:
                result.append(_from_decl(decl, sysprop.name))
            else:
                result.append(self._undeclared(sysprop))
        result.extend(_from_decl(d, d.name) for d in self.properties if d.extension)
        return result

    def resource_property(self, name: str) -> ResourceProperty:
        """The resource property `name` (any case); UnknownPropertyError if resources lack it."""
        key = name.lower()
        for prop in self.resource_properties():
            if prop.name.lower() == key:
                return prop
        raise UnknownPropertyError(name, self.full_name)

    def default(self, name: str) -> Value:
        """The default of resource property `name`; None when a value must be given."""
        return _copy_value(self.resource_property(name).default)

    def check_value(self, name: str, raw: str) -> Value:
        """The typed value of `raw` (as given to `-x`/`-y`) for property `name`.

        Raises PropertyValueError naming the property when the property does not exist or
        the value has the wrong form or breaks a bound. Whether the property may be set now
        (tunability, query-only) is the caller's decision: see `ResourceProperty.settable`.
        """
        try:
            prop = self.resource_property(name)
        except UnknownPropertyError as err:
            raise PropertyValueError(name, err.message) from None
        return convert_value(prop, raw)

    def _undeclared(self, sysprop: SystemProperty) -> ResourceProperty:
        """A system-defined property the file does not declare, with the framework's values."""
        default = _copy_value(sysprop.default)
        tunable = sysprop.tunable
        if sysprop.name == "Type_version":
            default = self.rt_version or ""
            tunable = "ANYTIME" if self.upgrade else "AT_CREATION"
        elif sysprop.name == "Type":
            default = self.full_name
        return ResourceProperty(
            name=sysprop.name, extension=False, type=sysprop.type, default=default,
            tunable=tunable, description=sysprop.description,
            enum_values=sysprop.enum_values, min=sysprop.min, max=sysprop.max,
            query_only=sysprop.category is Category.QUERY_ONLY, declared=False,
        )


_LISTING_ORDER = (Category.ALWAYS, Category.METHOD_TIMEOUT, Category.CONDITIONAL,
                  Category.SCALABLE, Category.QUERY_ONLY)
_SYSTEM_LISTING = sorted(SYSTEM_PROPERTIES.values(),
                         key=lambda p: _LISTING_ORDER.index(p.category))
"""System properties in the order a listing shows them: settable first, RGM-kept last."""


def _from_decl(decl: PropertyDecl, name: str) -> ResourceProperty:
    return ResourceProperty(
        name=name, extension=decl.extension, type=decl.type,
        default=_copy_value(decl.default), tunable=decl.tunable,
        description=decl.description, enum_values=tuple(decl.enum_values),
        min=decl.min, max=decl.max, minlength=decl.minlength, maxlength=decl.maxlength,
        array_minsize=decl.array_minsize, array_maxsize=decl.array_maxsize,
        query_only=False, declared=True,
    )


def _copy_value(value: Value) -> Value:
    """Defaults are handed out as copies so no caller can change a type's default list."""
    return list(value) if isinstance(value, list) else value


def _canonical_method(name: str) -> Optional[str]:
    key = name.lower()
    for method in METHODS:
        if method.lower() == key:
            return method
    return None


# --------------------------------------------------------------------------- values

_Bounded = Union[PropertyDecl, ResourceProperty]


def _parse_int(text: str) -> Optional[int]:
    """Decimal with optional sign, within a C int; None otherwise (no `1_000`, no `٣`)."""
    if not _INT_RE.match(text):
        return None
    value = int(text)
    if value < INT_MIN or value > INT_MAX:
        return None
    return value


def _bounds_problem(prop: _Bounded, value: Value) -> Optional[str]:
    """Why `value` breaks a bound or the enumeration of `prop`, or None when it is legal."""
    if prop.type == "INT" and isinstance(value, int):
        if prop.min is not None and value < prop.min:
            return f"{value} is below the minimum {prop.min}"
        if prop.max is not None and value > prop.max:
            return f"{value} is above the maximum {prop.max}"
    elif prop.type == "ENUM" and isinstance(value, str):
        if value not in prop.enum_values:
            return f'"{value}" is not one of {", ".join(prop.enum_values)}'
    elif prop.type == "STRING" and isinstance(value, str):
        return _length_problem(prop, value, "")
    elif prop.type == "STRINGARRAY" and isinstance(value, list):
        for element in value:
            problem = _length_problem(prop, element, "element ")
            if problem:
                return problem
        if prop.array_minsize is not None and len(value) < prop.array_minsize:
            return (f"{len(value)} element(s) given, at least {prop.array_minsize} "
                    "required")
        if prop.array_maxsize is not None and len(value) > prop.array_maxsize:
            return f"{len(value)} element(s) given, at most {prop.array_maxsize} allowed"
    return None


def _length_problem(prop: _Bounded, text: str, what: str) -> Optional[str]:
    if prop.minlength is not None and len(text) < prop.minlength:
        return (f'{what}"{text}" is shorter than the minimum length {prop.minlength}')
    if prop.maxlength is not None and len(text) > prop.maxlength:
        return f'{what}"{text}" is longer than the maximum length {prop.maxlength}'
    return None


def convert_value(prop: _Bounded, raw: str) -> Value:
    """`raw` as a typed value of `prop`, or PropertyValueError naming the property.

    INT: decimal, sign allowed. BOOLEAN: TRUE/FALSE, any case. ENUM: any case, returned in
    the declared spelling. STRINGARRAY: comma-separated, blanks around elements ignored,
    the empty string is the empty list. Then bounds, lengths and array sizes.
    """
    value = _typed(prop, raw)
    problem = _bounds_problem(prop, value)
    if problem:
        raise PropertyValueError(prop.name, f"invalid value for property {prop.name}: {problem}")
    return value


def _typed(prop: _Bounded, raw: str) -> Value:
    """The form check of `convert_value`, without the bounds."""
    name = prop.name
    if prop.type == "INT":
        number = _parse_int(raw.strip())
        if number is None:
            raise PropertyValueError(
                name, f'invalid value "{raw}" for property {name}: an integer between '
                f"{INT_MIN} and {INT_MAX} is required")
        return number
    if prop.type == "BOOLEAN":
        word = raw.strip().upper()
        if word not in ("TRUE", "FALSE"):
            raise PropertyValueError(
                name, f'invalid value "{raw}" for property {name}: TRUE or FALSE is required')
        return word == "TRUE"
    if prop.type == "ENUM":
        match = _enum_match(prop.enum_values, raw.strip())
        if match is None:
            raise PropertyValueError(
                name, f'invalid value "{raw}" for property {name}: one of '
                f'{", ".join(prop.enum_values)} is required')
        return match
    if prop.type == "STRINGARRAY":
        if raw.strip() == "":
            return []
        elements = [element.strip() for element in raw.split(",")]
        if "" in elements:
            raise PropertyValueError(
                name, f'invalid value "{raw}" for property {name}: an element is empty')
        return elements
    return raw


def _enum_match(values: Union[list[str], tuple[str, ...]], text: str) -> Optional[str]:
    key = text.lower()
    for value in values:
        if value.lower() == key:
            return value
    return None


# --------------------------------------------------------------------------- lexer

_WORD, _QUOTED, _LBRACE, _RBRACE, _SEMI, _EQ, _COMMA, _DIRECTIVE, _EOF = (
    "word", "quoted value", "'{'", "'}'", "';'", "'='", "','", "directive", "end of file",
)
_PUNCT = {"{": _LBRACE, "}": _RBRACE, ";": _SEMI, "=": _EQ, ",": _COMMA}
_BLANKS = " \t\r\n\f\v"
_WORD_END = set(_BLANKS) | set('{};=,"#')


class _Token(NamedTuple):
    kind: str
    text: str
    line: int
    col: int

    def describe(self) -> str:
        if self.kind == _WORD:
            return f'"{self.text}"'
        if self.kind == _QUOTED:
            return f'quoted value "{self.text}"'
        if self.kind == _DIRECTIVE:
            return f"directive #${self.text.split(' ')[0]}"
        return self.kind


def _tokenize(text: str, path: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, col, n = 0, 1, 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            i, line, col = i + 1, line + 1, 1
        elif ch in _BLANKS:
            i, col = i + 1, col + 1
        elif ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            if text.startswith("#$", i):
                tokens.append(_Token(_DIRECTIVE, text[i + 2:end], line, col))
            col += end - i
            i = end
        elif ch == '"':
            end = i + 1
            while end < n and text[end] not in '"\n':
                end += 1
            if end >= n or text[end] != '"':
                raise RtrError(path, line, col,
                               "quoted value is not closed on its line (missing '\"')")
            tokens.append(_Token(_QUOTED, text[i + 1:end], line, col))
            col += end + 1 - i
            i = end + 1
        elif ch in _PUNCT:
            tokens.append(_Token(_PUNCT[ch], ch, line, col))
            i, col = i + 1, col + 1
        else:
            end = i
            while end < n and text[end] not in _WORD_END:
                end += 1
            tokens.append(_Token(_WORD, text[i:end], line, col))
            col += end - i
            i = end
    tokens.append(_Token(_EOF, "", line, col))
    return tokens


# --------------------------------------------------------------------------- parser


class _Entry(NamedTuple):
    """`name;`, `name = v;` or `name = v1, v2;` (values may be empty: `name = ;`)."""

    name: _Token
    has_value: bool
    values: list[_Token]
    end: _Token
    """The terminating `;`, where "missing value" mistakes are reported."""


_RT_STRING_KEYS = ("Resource_type", "Vendor_id", "RT_description", "RT_version", "RT_basedir")
_RT_BOOL_KEYS = ("Failover", "Single_instance", "RT_system", "Global_zone", "Proxy")
_RT_KEYS = {k.lower(): k for k in (
    *_RT_STRING_KEYS, *_RT_BOOL_KEYS, "API_version", "Init_nodes", "Pkglist", *METHODS,
)}


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.tokens = _tokenize(text, path)
        self.pos = 0
        self.warnings: list[RtrWarning] = []

    # -- helpers

    def error(self, at: Union[_Token, Location], message: str) -> RtrError:
        return RtrError(self.path, at.line, at.col, message)

    def warn(self, at: _Token, message: str) -> None:
        self.warnings.append(RtrWarning(self.path, at.line, at.col, message))

    @property
    def tok(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != _EOF:
            self.pos += 1
        return token

    def expect(self, kind: str, what: str) -> _Token:
        if self.tok.kind != kind:
            raise self.error(self.tok, f"expected {what}, found {self.tok.describe()}")
        return self.take()

    def entry(self, name: _Token) -> _Entry:
        """The rest of an entry after its name: `;` or `= values ;`."""
        if self.tok.kind == _SEMI:
            return _Entry(name, False, [], self.take())
        if self.tok.kind != _EQ:
            raise self.error(self.tok, f"expected '=' or ';' after {name.text}, "
                                       f"found {self.tok.describe()}")
        self.take()
        values: list[_Token] = []
        if self.tok.kind != _SEMI:
            while True:
                if self.tok.kind not in (_WORD, _QUOTED):
                    raise self.error(self.tok, f"expected a value for {name.text}, "
                                               f"found {self.tok.describe()}")
                values.append(self.take())
                if self.tok.kind != _COMMA:
                    break
                self.take()
        end = self.expect(_SEMI, f"';' to end {name.text}")
        return _Entry(name, True, values, end)

    def single(self, entry: _Entry, what: str) -> _Token:
        if not entry.has_value or not entry.values:
            raise self.error(entry.end, f"{what} needs a value")
        if len(entry.values) > 1:
            raise self.error(entry.values[1], f"{what} takes one value, not a list")
        return entry.values[0]

    def integer(self, token: _Token, what: str) -> int:
        value = _parse_int(token.text)
        if value is None:
            raise self.error(token, f'{what} must be an integer, not "{token.text}"')
        return value

    def boolean(self, entry: _Entry, what: str) -> bool:
        if not entry.has_value:
            return True
        token = self.single(entry, what)
        word = token.text.upper()
        if word not in ("TRUE", "FALSE"):
            raise self.error(token, f'{what} must be TRUE or FALSE, not "{token.text}"')
        return word == "TRUE"

    # -- the file

    def parse(self) -> ResourceType:
        first = self.tok
        if first.kind != _WORD or first.text.lower() != "resource_type":
            found = "an empty file" if first.kind == _EOF else first.describe()
            raise self.error(first, f"Resource_type must be the first entry, found {found}")
        rt = ResourceType(resource_type="", path=self.path)
        seen: dict[str, _Token] = {}
        directives_at: Optional[_Token] = None
        while self.tok.kind not in (_LBRACE, _EOF):
            token = self.take()
            if token.kind == _DIRECTIVE:
                self.directive(token, rt)
                directives_at = directives_at or token
                continue
            if token.kind != _WORD:
                raise self.error(token, "expected a resource type property name, "
                                        f"found {token.describe()}")
            entry = self.entry(token)
            key = token.text.lower()
            if key == "installed_nodes":
                raise self.error(token, "Installed_nodes cannot be declared in an RTR file: "
                                        "the administrator sets it")
            if key not in _RT_KEYS:
                raise self.error(token, f"unknown resource type property {token.text}")
            if key in seen:
                raise self.error(token, f"{_RT_KEYS[key]} is already declared at line "
                                        f"{seen[key].line}")
            if directives_at is not None:
                raise self.error(token, f"{_RT_KEYS[key]} comes after the #$ directives at "
                                        f"line {directives_at.line}: resource type "
                                        "properties go before them")
            seen[key] = token
            self.rt_key(entry, _RT_KEYS[key], rt)
        self.check_type(rt, first)
        by_name: dict[str, PropertyDecl] = {}
        while self.tok.kind != _EOF:
            token = self.tok
            if token.kind == _DIRECTIVE:
                raise self.error(token, "#$ directives must come between the resource type "
                                        "properties and the property declarations")
            if token.kind == _WORD and token.text.lower() in _RT_KEYS:
                raise self.error(token, f"resource type property {token.text} must come "
                                        "before the property declarations")
            if token.kind != _LBRACE:
                raise self.error(token, "expected '{' to start a property declaration, "
                                        f"found {token.describe()}")
            decl = self.block(rt)
            key = decl.name.lower()
            if key in by_name:
                raise self.error(decl.location, f"property {decl.name} is already declared "
                                                f"at line {by_name[key].location.line}")
            by_name[key] = decl
            rt.properties.append(decl)
        rt.warnings = self.warnings
        return rt

    def rt_key(self, entry: _Entry, key: str, rt: ResourceType) -> None:
        if key in _RT_BOOL_KEYS:
            setattr(rt, key.lower(), self.boolean(entry, key))
        elif key == "Pkglist":
            if not entry.has_value:
                raise self.error(entry.end, "Pkglist needs a value")
            rt.pkglist = [v.text for v in entry.values]
        elif key == "API_version":
            token = self.single(entry, key)
            rt.api_version = self.integer(token, key)
            if rt.api_version < 1:
                raise self.error(token, f"API_version must be at least 1, not {rt.api_version}")
        elif key == "Init_nodes":
            token = self.single(entry, key)
            if token.text.upper() not in _INIT_NODES:
                raise self.error(token, "Init_nodes must be RG_PRIMARIES or RT_INSTALLED_NODES,"
                                        f' not "{token.text}"')
            rt.init_nodes = token.text.upper()
        elif key in METHODS:
            token = self.single(entry, key)
            if not token.text.strip():
                raise self.error(token, f"the path of method {key} is empty")
            rt.methods[key] = token.text
        else:
            token = self.single(entry, key)
            if key in ("Resource_type", "Vendor_id", "RT_version", "RT_basedir") and \
                    not token.text.strip():
                raise self.error(token, f"{key} must not be empty")
            if key == "RT_version":
                bad = sorted(set(token.text) & _RT_VERSION_FORBIDDEN)
                if bad:
                    shown = " ".join("blank" if c == " " else "tab" if c == "\t" else c
                                     for c in bad)
                    raise self.error(token, f'RT_version "{token.text}" must not contain '
                                            f"{shown}")
            if key == "RT_basedir" and not token.text.startswith("/"):
                self.warn(token, f'RT_basedir "{token.text}" is not an absolute path')
            setattr(rt, key.lower(), token.text)

    def check_type(self, rt: ResourceType, first: _Token) -> None:
        """Whole-type rules, reported at Resource_type: they are about the type as a whole."""
        if "Start" not in rt.methods and "Prenet_start" not in rt.methods:
            raise self.error(first, f"resource type {rt.name} declares neither START nor "
                                    "PRENET_START; one of them is required")
        if "Stop" not in rt.methods and "Postnet_stop" not in rt.methods:
            raise self.error(first, f"resource type {rt.name} declares neither STOP nor "
                                    "POSTNET_STOP; one of them is required")
        if not rt.rt_basedir:
            for method, path in rt.methods.items():
                if not path.startswith("/"):
                    raise self.error(first, f'method {method} has the relative path "{path}" '
                                            "but RT_basedir is not declared")

    def directive(self, token: _Token, rt: ResourceType) -> None:
        words = self.directive_words(token)
        if not words:
            raise self.error(token, "empty #$ directive; the only directives are #$upgrade "
                                    "and #$upgrade_from")
        (keyword, kcol), rest = words[0], words[1:]
        at = Location(token.line, kcol)
        if keyword.lower() == "upgrade":
            if rest:
                raise self.error(Location(token.line, rest[0][1]),
                                 "#$upgrade takes no arguments")
            if rt.upgrade:
                raise self.error(at, "#$upgrade is already given")
            rt.upgrade = True
        elif keyword.lower() == "upgrade_from":
            if not rt.upgrade:
                raise self.error(at, "#$upgrade_from must follow a #$upgrade directive")
            if len(rest) != 2:
                raise self.error(at, '#$upgrade_from needs a version and a tunability, as in '
                                     '#$upgrade_from "1.0" anytime')
            (version, _), (tunability, tcol) = rest
            if tunability.upper() not in UPGRADE_TUNABILITIES:
                raise self.error(Location(token.line, tcol),
                                 f'unknown upgrade tunability "{tunability}"; one of '
                                 f'{", ".join(t.lower() for t in UPGRADE_TUNABILITIES)}')
            if any(v == version for v, _t in rt.upgrade_from):
                raise self.error(at, f'#$upgrade_from "{version}" is already given')
            rt.upgrade_from.append((version, tunability.upper()))
        else:
            raise self.error(at, f"unknown directive #${keyword}; the only directives are "
                                 "#$upgrade and #$upgrade_from")

    def directive_words(self, token: _Token) -> list[tuple[str, int]]:
        """Split a directive's text into words with their columns; a quoted word may be ""."""
        text = token.text
        base = token.col + 2
        words: list[tuple[str, int]] = []
        i = 0
        while i < len(text):
            if text[i] in _BLANKS:
                i += 1
            elif text[i] == '"':
                end = text.find('"', i + 1)
                if end < 0:
                    raise self.error(Location(token.line, base + i),
                                     "quoted value is not closed on its line (missing '\"')")
                words.append((text[i + 1:end], base + i))
                i = end + 1
            else:
                end = i
                while end < len(text) and text[end] not in _BLANKS and text[end] != '"':
                    end += 1
                words.append((text[i:end], base + i))
                i = end
        return words

    # -- property declarations

    def block(self, rt: ResourceType) -> PropertyDecl:
        brace = self.take()
        first = self.tok
        if first.kind != _WORD or first.text.upper() != "PROPERTY":
            raise self.error(first, "PROPERTY must be the first attribute of a property "
                                    f"declaration, found {first.describe()}")
        self.take()
        name_tok = self.single(self.entry(first), "PROPERTY")
        if not _NAME_RE.match(name_tok.text):
            raise self.error(name_tok, f'"{name_tok.text}" is not a valid property name '
                                       "(a letter, then letters, digits or '_')")
        name = name_tok.text
        attrs: dict[str, _Entry] = {}
        type_tok: Optional[_Token] = None
        enum_values: list[str] = []
        while self.tok.kind != _RBRACE:
            token = self.tok
            if token.kind == _EOF:
                raise self.error(brace, f"declaration of property {name} is not closed "
                                        "(missing '}')")
            if token.kind != _WORD:
                raise self.error(token, f"expected an attribute of property {name}, "
                                        f"found {token.describe()}")
            self.take()
            word = token.text.upper()
            if word in _TYPES:
                if type_tok is not None:
                    raise self.error(token, f"property {name} already has the type "
                                            f"{type_tok.text.upper()} (line {type_tok.line})")
                type_tok = token
                if word == "ENUM":
                    enum_values = self.enum_list(token, name)
                else:
                    entry = self.entry(token)
                    if entry.has_value:
                        raise self.error(token, f"the type {word} takes no value")
                continue
            entry = self.entry(token)
            if word == "PROPERTY":
                raise self.error(token, f"PROPERTY is given twice in one declaration "
                                        f"(property {name})")
            if word not in ("EXTENSION", "DEFAULT", "TUNABLE", "DESCRIPTION", *_INT_ATTRS):
                raise self.error(token, f"unknown attribute {token.text} in property {name}")
            if word in attrs:
                raise self.error(token, f"attribute {word} is given twice in property {name}")
            attrs[word] = entry
        self.take()
        return self.declaration(rt, name_tok, attrs, type_tok, enum_values)

    def enum_list(self, token: _Token, name: str) -> list[str]:
        self.expect(_LBRACE, "'{' after ENUM")
        values: list[str] = []
        while True:
            value = self.tok
            if value.kind not in (_WORD, _QUOTED) or not value.text:
                raise self.error(value, f"expected an ENUM value of property {name}, "
                                        f"found {value.describe()}")
            self.take()
            if _enum_match(values, value.text) is not None:
                raise self.error(value, f'ENUM value "{value.text}" of property {name} is '
                                        "given twice")
            values.append(value.text)
            if self.tok.kind != _COMMA:
                break
            self.take()
        self.expect(_RBRACE, "',' or '}' in the ENUM list")
        self.expect(_SEMI, "';' after the ENUM list")
        return values

    def declaration(self, rt: ResourceType, name_tok: _Token, attrs: dict[str, _Entry],
                    type_tok: Optional[_Token], enum_values: list[str]) -> PropertyDecl:
        """Apply the semantic rules of rt_reg(4) and property_attributes(5) to one block."""
        name = name_tok.text
        extension = "EXTENSION" in attrs and self.boolean(attrs["EXTENSION"], "EXTENSION")
        sysprop = lookup_system_property(name)
        decl = PropertyDecl(name=name, extension=extension, type="STRING",
                            location=Location(name_tok.line, name_tok.col),
                            explicit=frozenset(attrs) | ({"TYPE"} if type_tok else set()))
        if extension:
            if sysprop is not None:
                raise self.error(name_tok, f"{sysprop.name} is a system-defined property; "
                                           "it cannot be declared EXTENSION")
            if type_tok is None:
                raise self.error(name_tok, f"extension property {name} needs a type: STRING, "
                                           "INT, BOOLEAN, ENUM { ... } or STRINGARRAY")
            decl.type = type_tok.text.upper()
            decl.enum_values = enum_values
        else:
            if sysprop is None:
                raise self.error(name_tok, f"{name} is not a system-defined resource property;"
                                           " an extension property needs EXTENSION; and a "
                                           "type")
            if sysprop.category is Category.QUERY_ONLY:
                raise self.error(name_tok, f"{sysprop.name} is query-only: the RGM keeps it "
                                           "and an RTR file cannot declare it")
            if sysprop.name == "Type_version":
                raise self.error(name_tok, "Type_version comes from RT_version and the "
                                           "#$upgrade_from directives; an RTR file cannot "
                                           "declare it")
            if type_tok is not None and (type_tok.text.upper() != sysprop.type
                                         or sysprop.type == "ENUM"):
                raise self.error(type_tok, f"the type of system-defined property "
                                           f"{sysprop.name} is fixed ({sysprop.type})")
            decl.type = sysprop.type
            decl.enum_values = list(sysprop.enum_values)
            decl.min, decl.max = sysprop.min, sysprop.max
            decl.tunable = sysprop.tunable
            decl.description = sysprop.description
            decl.default = _copy_value(sysprop.default)
        is_timeout = sysprop is not None and sysprop.category is Category.METHOD_TIMEOUT
        self.bounds(decl, attrs, is_timeout)
        if "TUNABLE" in attrs:
            token = self.single(attrs["TUNABLE"], "TUNABLE")
            tunable = _TUNABLE_ALIASES.get(token.text.upper())
            if tunable is None:
                raise self.error(token, f'TUNABLE of property {name} must be NONE, FALSE, '
                                        f'TRUE, ANYTIME, AT_CREATION or WHEN_DISABLED, not '
                                        f'"{token.text}"')
            decl.tunable = tunable
        if "DESCRIPTION" in attrs:
            decl.description = self.single(attrs["DESCRIPTION"], "DESCRIPTION").text
        if "DEFAULT" in attrs:
            decl.default = self.default_value(decl, attrs["DEFAULT"])
        elif decl.default is not None:
            problem = _bounds_problem(decl, decl.default)
            if problem:
                raise self.error(name_tok, f"the system default of property {name} is out "
                                           f"of its declared bounds: {problem}")
        if is_timeout and sysprop is not None:
            method = TIMEOUT_METHOD[sysprop.name.lower()]
            if method not in rt.methods:
                self.warn(name_tok, f"{name} is declared but method {method.upper()} is not; "
                                    "resources will not have this property")
        return decl

    def bounds(self, decl: PropertyDecl, attrs: dict[str, _Entry], is_timeout: bool) -> None:
        applies = {
            "MIN": ("INT",), "MAX": ("INT",),
            "MINLENGTH": ("STRING", "STRINGARRAY"), "MAXLENGTH": ("STRING", "STRINGARRAY"),
            "ARRAY_MINSIZE": ("STRINGARRAY",), "ARRAY_MAXSIZE": ("STRINGARRAY",),
        }
        tokens: dict[str, _Token] = {}
        for attr in _INT_ATTRS:
            if attr not in attrs:
                continue
            token = self.single(attrs[attr], attr)
            if decl.type not in applies[attr]:
                raise self.error(attrs[attr].name, f"{attr} does not apply to property "
                                                   f"{decl.name} of type {decl.type}")
            value = self.integer(token, f"{attr} of property {decl.name}")
            if is_timeout and attr == "MAX":
                raise self.error(attrs[attr].name, f"cannot specify MAX for method timeout "
                                                   f"{decl.name}")
            if is_timeout and attr == "MIN" and value < 1:
                raise self.error(token, f"cannot specify MIN={value} for method timeout "
                                        f"{decl.name}: the minimum must be at least 1")
            if attr not in ("MIN", "MAX") and value < 0:
                raise self.error(token, f"{attr} of property {decl.name} must not be negative")
            setattr(decl, attr.lower(), value)
            tokens[attr] = token
        for low, high in (("MIN", "MAX"), ("MINLENGTH", "MAXLENGTH"),
                          ("ARRAY_MINSIZE", "ARRAY_MAXSIZE")):
            lo, hi = getattr(decl, low.lower()), getattr(decl, high.lower())
            if lo is not None and hi is not None and lo > hi:
                raise self.error(tokens.get(high) or tokens[low],
                                 f"{high} {hi} of property {decl.name} is below its {low} {lo}")

    def default_value(self, decl: PropertyDecl, entry: _Entry) -> Value:
        name = decl.name
        tokens = entry.values
        at = tokens[0] if tokens else entry.end
        if not entry.has_value:
            raise self.error(entry.name, f"DEFAULT of property {name} needs '= value'")
        empty = not tokens or (len(tokens) == 1 and tokens[0].text == "")
        if decl.type in ("BOOLEAN", "ENUM", "INT") and empty:
            raise self.error(at, 'cannot specify NULL or "" as default for boolean, enum, int '
                                 f"(property {name})")
        if decl.type != "STRINGARRAY" and len(tokens) > 1:
            raise self.error(tokens[1], f"DEFAULT of {decl.type} property {name} takes one "
                                        "value, not a list")
        value: Value
        if decl.type == "STRINGARRAY":
            value = [] if empty else [t.text for t in tokens]
            for token in tokens if not empty else []:
                if token.text == "":
                    raise self.error(token, f"DEFAULT of property {name} has an empty element")
        elif decl.type == "STRING":
            value = "" if empty else tokens[0].text
        else:
            try:
                value = _typed(decl, tokens[0].text)
            except PropertyValueError:
                expected = {"INT": "an integer", "BOOLEAN": "TRUE or FALSE",
                            "ENUM": "one of " + ", ".join(decl.enum_values)}[decl.type]
                raise self.error(tokens[0], f'DEFAULT "{tokens[0].text}" of property {name} '
                                            f"is not {expected}") from None
        problem = _bounds_problem(decl, value)
        if problem:
            raise self.error(at, f"DEFAULT of property {name} is out of bounds: {problem}")
        return value


# --------------------------------------------------------------------------- entry points


def parse_text(text: str, path: str = "<string>") -> ResourceType:
    """Parse RTR text; `path` only names the source in errors and in the model."""
    return _Parser(text, path).parse()


def parse_file(path: Union[str, Path]) -> ResourceType:
    """Parse the RTR file at `path` (UTF-8; undecodable bytes are an RtrError at 1:1)."""
    name = str(path)
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise RtrError(name, line, col, "the file is not UTF-8 text") from None
    return parse_text(text, name)
