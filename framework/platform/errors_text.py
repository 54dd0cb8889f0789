"""The text of an error that keeps its root cause: for the audit row's ``error_message`` and the log.

Why: a Java error that pyspark does not convert reaches Python as py4j's ``Py4JJavaError``, whose
first line is only ``An error occurred while calling o123.sql.``; the real message is the Java
exception's, and the useful part is often its cause's (a ``SparkException`` FAILED_READ_FILE
caused by a ``FileNotFoundException`` that names the file). pyspark's converted errors
(``AnalysisException`` and the other ``CapturedException``\\ s) and Spark Connect's carry an error
class and a message of several lines. :func:`describe` turns any of them into the outermost
error, then each cause down to the root, without stack frames, bounded in length with the root
always kept; :func:`jvm_stacktrace` gives the JVM stack trace that Python's own traceback hides,
for the log.

Nothing here imports py4j or pyspark: an exception of theirs can only exist once its module is
loaded, so the classes are looked up in ``sys.modules``. The same code works on a classic session
(py4j), on Spark Connect (no py4j at all) and for plain Python errors.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass

log = logging.getLogger(__name__)

LIMIT = 2000  # characters of an audit message's error text; the root cause is always kept
CAUSED_BY = "\nCaused by: "
MAX_DEPTH = 20  # links followed in a cause chain (Java allows cycles between distinct throwables)

# Lines of a Java stack trace inside a message: frames, "... 12 more", the driver trace header.
_FRAME = re.compile(r"^\s+at \S|^\s*\.\.\. \d+ more\s*$|^\s*Driver stacktrace:\s*$")
_JVM_TRACE = "\n\nJVM stacktrace:\n"  # pyspark appends this to a message when it shows the JVM stack


@dataclass(frozen=True)
class Link:
    """One error of a cause chain: its class (Java or Python) and its own message."""

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}" if self.message else self.kind


def describe(exc: BaseException, limit: int = LIMIT) -> str:
    """``exc`` and its causes down to the root, one per line after the first, at most ``limit`` chars."""
    return fit([str(link) for link in chain(exc)], limit)


def chain(exc: BaseException) -> list[Link]:
    """The errors from ``exc`` (outermost) to its root cause, the Java ones included."""
    links: list[Link] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(links) < MAX_DEPTH:
        seen.add(id(current))
        links.extend(_links_of(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return _collapse(links) or [Link(type(exc).__name__, "")]


def jvm_stacktrace(exc: BaseException) -> str | None:
    """The JVM stack trace of ``exc`` that Python's traceback does not print, or None.

    A ``Py4JJavaError``'s own text already holds its Java stack trace. pyspark's converted errors
    are raised ``from None``: the ``Py4JJavaError`` they replace (with the trace) is their hidden
    ``__context__``. Spark Connect errors carry the server's trace, shown only on request.
    """
    java_error = _module_class("py4j.protocol", "Py4JJavaError")
    context = exc.__context__
    if java_error is not None and not isinstance(exc, java_error) and isinstance(context, java_error) and exc.__suppress_context__:
        text = _py4j_call(lambda: str(context))
        if text:
            return _after_wrapper(text)
    trace = getattr(exc, "_stackTrace", None)  # classic CapturedException built without a Py4JJavaError
    if isinstance(trace, str) and trace.strip():
        return trace
    if _is(exc, "pyspark.errors.exceptions.connect", "SparkConnectGrpcException"):
        server = exc.getStackTrace()
        if server and _JVM_TRACE not in str(exc):
            return server
    return None


def fit(parts: list[str], limit: int = LIMIT) -> str:
    """Join ``parts`` (outermost first) with "Caused by:", within ``limit`` chars, the last one kept.

    Over the limit the root gets what it needs up to half the limit (more when the others are
    short); the outer errors share the rest, each cut in its middle so its first and last lines
    stay; those that do not fit at all are counted, not shown.
    """
    text = CAUSED_BY.join(parts)
    if len(text) <= limit:
        return text
    *outer, root = parts
    outer_len = len(CAUSED_BY.join(outer)) + len(CAUSED_BY) if outer else 0
    root = shorten(root, max(limit // 2, limit - outer_len))
    if not outer:
        return root
    room = limit - len(root) - len(CAUSED_BY)
    if len(CAUSED_BY.join(outer)) <= room:
        return CAUSED_BY.join([*outer, root])
    each = max(120, room // len(outer) - len(CAUSED_BY))
    kept: list[str] = []
    for n, part in enumerate(outer):
        piece = shorten(part, each)
        used = len(CAUSED_BY.join([*kept, piece]))
        if used > room:
            skipped = len(outer) - n
            note = f"[{skipped} more cause(s) cut]"
            kept = kept if len(CAUSED_BY.join([*kept, note])) <= room else kept[:-1]
            kept.append(note)
            break
        kept.append(piece)
    return CAUSED_BY.join([*kept, root])


def shorten(text: str, size: int) -> str:
    """``text`` in at most ``size`` chars: its beginning and its end, the middle marked as cut."""
    if len(text) <= size:
        return text
    mark = " […] "
    if size <= len(mark) + 2:
        return text[:size]
    head = (size - len(mark)) * 2 // 3
    tail = size - len(mark) - head
    return text[:head] + mark + text[len(text) - tail:]


# -- one Python exception -> its links ----------------------------------------------------------

def _links_of(exc: BaseException) -> list[Link]:
    java_error = _module_class("py4j.protocol", "Py4JJavaError")
    if java_error is not None and isinstance(exc, java_error):
        return _java_links(exc.java_exception) or [Link("Py4JJavaError", clean(_after_wrapper(str(exc))))]
    if _is(exc, "pyspark.errors.exceptions.connect", "SparkConnectGrpcException"):
        return _connect_links(exc)
    if _is(exc, "pyspark.errors.exceptions.captured", "CapturedException"):
        return _captured_links(exc)
    if _is(exc, "pyspark.errors", "PySparkException"):
        return [Link(type(exc).__name__, clean(_with_condition(exc, str(exc))))]
    return [Link(type(exc).__name__, clean(str(exc)))]


def _captured_links(exc: BaseException) -> list[Link]:
    """A classic pyspark error converted from a Java one: the Java chain it came from."""
    java_error = _module_class("py4j.protocol", "Py4JJavaError")
    context = exc.__context__
    origin = context.java_exception if java_error is not None and isinstance(context, java_error) else getattr(exc, "_origin", None)
    if origin is not None:
        links = _java_links(origin)
        if links:
            return links
    message = str(getattr(exc, "_desc", None) or str(exc)).split(_JVM_TRACE)[0]
    links = [Link(type(exc).__name__, clean(_with_condition(exc, message)))]
    cause = getattr(exc, "_cause", None)  # already converted from the Java cause
    if isinstance(cause, BaseException):
        links.extend(_links_of(cause))
    return links


def _connect_links(exc) -> list[Link]:
    """A Spark Connect error: the server's message and error class, then the causes its trace names."""
    message = str(exc.getMessage()).split(_JVM_TRACE)[0]
    links = [Link(type(exc).__name__, clean(_with_condition(exc, message)))]
    for cause in (exc.getStackTrace() or "").split("\nCaused by: ")[1:]:
        kind, _, text = cause.partition(": ")
        links.append(Link(kind.strip(), clean(text)))
    return links


def _java_links(throwable) -> list[Link]:
    """A Java throwable (a py4j object) and its ``getCause()`` chain."""
    links: list[Link] = []

    def walk() -> None:
        current = throwable
        while current is not None and len(links) < MAX_DEPTH:
            message = current.getMessage()
            links.append(Link(str(current.getClass().getName()), clean(str(message)) if message is not None else ""))
            current = current.getCause()

    _py4j_call(walk)  # a JVM that is gone (maybe the very failure) leaves the links read so far
    return links


def _collapse(links: list[Link]) -> list[Link]:
    """Drop the repetition of ``new X(cause)``: a message that is just the next error's text."""
    out = []
    for n, link in enumerate(links):
        following = links[n + 1] if n + 1 < len(links) else None
        if following is not None and link.message and link.message in (str(following), following.message):
            link = Link(link.kind, "")
        out.append(link)
    return out


def clean(message: str) -> str:
    """A message without the Java stack frames some messages embed ("Job aborted ... at ...")."""
    return "\n".join(line for line in message.strip().splitlines() if not _FRAME.match(line)).strip()


def _with_condition(exc, message: str) -> str:
    """The message led by its error class, as Spark prints it, unless it already is."""
    condition = _py4j_call(exc.getCondition) if hasattr(exc, "getCondition") else None
    if condition and f"[{condition}]" not in message:
        return f"[{condition}] {message}"
    return message


def _after_wrapper(text: str) -> str:
    """py4j's text without its wrapper line "An error occurred while calling o12.sql.\\n: "."""
    first, _, rest = text.partition("\n")
    return rest.removeprefix(": ") if first.startswith("An error occurred while calling") and rest else text


def _module_class(module: str, name: str):
    loaded = sys.modules.get(module)
    return getattr(loaded, name, None) if loaded is not None else None


def _is(exc: BaseException, module: str, name: str) -> bool:
    cls = _module_class(module, name)
    return cls is not None and isinstance(exc, cls)


def _py4j_call(action):
    """``action()``, or None when the py4j gateway fails (a dead JVM): describing must not raise."""
    py4j_error = _module_class("py4j.protocol", "Py4JError")
    if py4j_error is None:
        return action()
    try:
        return action()
    except py4j_error as exc:
        log.debug("reading a Java exception over py4j failed: %s", type(exc).__name__)
        return None
