"""Intermediate-task training (how checkpoints are made); ships as ``xfer_tasks.train``."""
