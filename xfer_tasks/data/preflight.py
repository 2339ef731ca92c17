"""Moved to :mod:`xfer_tasks.check_data` (it reads the family registry, so it sits above the
family modules); these names stay importable from here for ``xfer_tasks.study.preflight``."""

from xfer_tasks.check_data import (  # noqa: F401
    RETRIEVAL,
    UnknownTaskError,
    check_task_data,
    check_task_names,
    known_task_names,
    language_tasks,
    load_checked,
    main,
)
