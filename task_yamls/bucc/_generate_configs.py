"""Write this folder's per-language task YAMLs and its group YAMLs from xfer_tasks.catalog.

Run from anywhere: `python task_yamls/bucc/_generate_configs.py`; commit the result.
"""

from pathlib import Path

from xfer_tasks.catalog import BUCC, write_family

if __name__ == "__main__":
    for path in write_family(BUCC.name, Path(__file__).resolve().parent):
        print(path)
