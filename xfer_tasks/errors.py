"""xfer's own errors inside ``lm_eval``: one line on stderr instead of a long traceback.

lm-eval builds our tasks (and so runs our loaders and option checks) deep inside its own
call stack; an uncaught error there prints a 26-64-line traceback whose last line is our
message. :func:`install_excepthook` (run when ``xfer_tasks`` is imported) wraps
``sys.excepthook`` so that, in an ``lm_eval`` process only, an uncaught exception whose type
is one of ours prints ``xfer: <message>`` on stderr and nothing else; the exit status stays
Python's for an uncaught exception (1). Every other exception goes to the previous hook
unchanged (lm-eval's behaviour), and ``XFER_TRACEBACK=1`` restores the full traceback for
ours too.

"Ours" means: the exception class is defined in the ``xfer_tasks`` package
(``DataMissingError``, ``DataFormatError``, ``MetadataError``, ``EmbedSpecError``,
``UnsupportedBackendError``, ...) or derives from :class:`XferError`. A plain ``ValueError``
raised by lm-eval or by a library stays a traceback.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType

TRACEBACK_ENV = "XFER_TRACEBACK"
PACKAGE = "xfer_tasks"


class XferError(Exception):
    """Base of xfer errors whose message says everything a user needs (no traceback)."""


def is_ours(exc: BaseException) -> bool:
    """Whether ``exc`` is one of xfer's own error types (see the module docstring)."""
    if isinstance(exc, XferError):
        return True
    module = getattr(type(exc), "__module__", "") or ""
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def in_lm_eval() -> bool:
    """Whether this process is the ``lm_eval`` command (console script or ``python -m lm_eval``)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and (spec.name or "").split(".")[0] == "lm_eval":
        return True
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script in ("lm_eval", "lm-eval")


def one_line(exc: BaseException) -> str:
    """``xfer: <message>``; a multi-line message is joined, so the line stands alone."""
    message = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    if isinstance(exc, KeyError) and message.startswith(("'", '"')):  # KeyError quotes its text
        message = message[1:-1]
    return f"xfer: {message or type(exc).__name__}"


def make_excepthook(previous):
    """A ``sys.excepthook`` that prints ours as one line and hands the rest to ``previous``."""

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if (
            exc is not None
            and is_ours(exc)
            and in_lm_eval()
            and os.environ.get(TRACEBACK_ENV, "") in ("", "0")
        ):
            sys.stderr.write(one_line(exc) + f"  (set {TRACEBACK_ENV}=1 for the traceback)\n")
            sys.stderr.flush()
            return
        previous(exc_type, exc, tb)

    excepthook.xfer_hook = True  # type: ignore[attr-defined]
    excepthook.__wrapped__ = previous  # type: ignore[attr-defined]
    return excepthook


def install_excepthook() -> None:
    """Wrap ``sys.excepthook`` once (idempotent; later hooks installed on top still chain)."""
    if not getattr(sys.excepthook, "xfer_hook", False):
        sys.excepthook = make_excepthook(sys.excepthook)
