"""Write this folder's per-language task YAMLs and its group YAMLs from xfer_tasks.catalog.

Run from anywhere: `python task_yamls/tatoeba/_generate_configs.py`; commit the result.
"""

from pathlib import Path

from xfer_tasks.catalog import TATOEBA, write_family

if __name__ == "__main__":
    for path in write_family(TATOEBA.name, Path(__file__).resolve().parent):
        print(path)
