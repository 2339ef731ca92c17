"""Multiple-choice task classes that reproduce lm-eval's built-in few-shot rules.

:class:`XNLITask` (lm-eval's ``xnli_<lang>``) and :class:`MMLUFamilyTask` (lm-eval's
``mmlu``, ``global_mmlu_full``, ``openai-mmmlu`` and okapi ``m_mmlu``): with the same rows,
an xfer task's few-shot prompts are the built-in task's, question by question.

MMLU family.

lm-eval's built-in MMLU-family tasks are one task per subject (``mmlu_anatomy``,
``global_mmlu_full_de_anatomy``, ``mmmlu_de_de_anatomy``) with ``fewshot_config: sampler:
first_n``: a k-shot prompt holds the FIRST k questions of the few-shot split of the SAME
subject, in file order (``lm_eval/api/samplers.py``, ``FirstNSampler``). xfer evaluates a
language's 57 subjects as one task, so this class picks, for each evaluated document, the
pool of its own subject and lets lm-eval's ``first_n`` sampler take the first k. The
prompt is then the one lm-eval builds for the per-subject task, question by question
(``tests/task_yamls/test_task_yamls_parity.py`` checks it against lm-eval's own tasks).

Okapi's ``m_mmlu_<lang>`` is one task over all subjects: its few-shot examples are the first
k of the whole dev split. :class:`MMLUFamilyTask` with ``SAME_SUBJECT_SHOTS = False`` does
that; the metadata key ``mmlu_subject_shots`` switches any family to same-subject pools.

``mmlu_subject_shots: k`` also sets the task's default ``num_fewshot`` to k, so the results'
``n-shot`` says k (``--num_fewshot`` on the command line still overrides it, as for every
lm-eval task). When the few-shot pool is the evaluated split itself (MMMLU, whose release
has no dev split, as lm-eval's ``openai-mmmlu`` does; or ``mmlu_split: dev``), the
evaluated question is left out of its own prompt, as lm-eval does for ``fewshot_split ==
test_split``.

YAMLs reach the class with ``class: !function utils.<Class>`` (a subclass per family in
the family's ``utils.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from lm_eval.api.task import ConfigurableTask

from xfer_tasks.data.mmlu_common import SPLIT_FIELD, subject_shots


class MMLUFamilyTask(ConfigurableTask):
    """``ConfigurableTask`` whose few-shot examples are the first k of the document's pool."""

    SAME_SUBJECT_SHOTS = True  # lm-eval's rule for this family (per-subject tasks, first_n)

    def __init__(self, config: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        raw = {key: value for key, value in dict(config or {}).items() if key != "class"}
        shots = subject_shots(raw.get("metadata"))
        self._same_subject = self.SAME_SUBJECT_SHOTS or shots > 0
        if shots and raw.get("num_fewshot") is None:
            raw["num_fewshot"] = shots
        super().__init__(config=raw, **kwargs)
        pool = list(self.fewshot_docs() or [])
        self._pools: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for example in pool:
            self._pools[example["subject"] if self._same_subject else ""].append(example)

    def _pool_for(self, doc: Mapping[str, Any]) -> list[dict[str, Any]]:
        pool = self._pools.get(doc["subject"] if self._same_subject else "", [])
        if pool and pool[0].get(SPLIT_FIELD) == doc.get(SPLIT_FIELD):
            # the pool is the evaluated split: leave this question out (lm-eval's rm_eval_doc)
            pool = [example for example in pool if example != doc]
        return pool

    def fewshot_context(self, doc: dict, num_fewshot: int, *args: Any, **kwargs: Any):
        """lm-eval's context, with the sampler's pool set to this document's pool first."""
        if num_fewshot > 0:
            pool = self._pool_for(doc)
            if len(pool) < num_fewshot:
                where = f"subject {doc['subject']!r}" if self._same_subject else "the dev split"
                raise ValueError(
                    f"{self.config.task}: {num_fewshot}-shot needs {num_fewshot} few-shot "
                    f"examples of {where}, found {len(pool)}"
                )
            self.sampler.replace_df(pool)
        return super().fewshot_context(doc, num_fewshot, *args, **kwargs)


class XNLITask(ConfigurableTask):
    """lm-eval's ``xnli_<lang>`` few-shot draw: k random training examples, seeded.

    lm-eval's XNLI config sets neither ``test_split`` nor ``fewshot_split``, so its
    ``fewshot_context`` sees them equal (both ``None``) and asks the sampler for k + 1
    examples, drops the evaluated document and keeps the first k (``ContextSampler.sample``
    with ``eval_doc``). That consumes the seeded random stream differently from a plain
    k-draw, so this class passes the evaluated document the same way; the drawn examples
    are then the built-in task's, document by document.
    """

    def __init__(self, config: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        raw = {key: value for key, value in dict(config or {}).items() if key != "class"}
        super().__init__(config=raw, **kwargs)

    def fewshot_context(self, doc: dict, num_fewshot: int, *args: Any, **kwargs: Any):
        """lm-eval's context, the sampler told which document is evaluated."""
        if num_fewshot <= 0:
            return super().fewshot_context(doc, num_fewshot, *args, **kwargs)
        sample = self.sampler.sample

        def sample_excluding_doc(n: int, eval_doc: Any = None, **sample_kwargs: Any):
            return sample(n, eval_doc=doc, **sample_kwargs)

        self.sampler.sample = sample_excluding_doc  # type: ignore[method-assign]
        try:
            return super().fewshot_context(doc, num_fewshot, *args, **kwargs)
        finally:
            del self.sampler.sample
