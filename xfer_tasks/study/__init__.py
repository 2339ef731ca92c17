"""``xfer study``: a whole task-count study (train, evaluate, compare) in one resumable command.

Modules: :mod:`.config` (the study YAML), :mod:`.stages` (layout, unit states, the unit
functions every launcher runs, the analysis), :mod:`.launchers` (inline, submitit-local,
slurm), :mod:`.cli` (the command). See docs/study.md.
"""
