"""Write this folder's per-language task YAMLs and its group YAML from xfer_tasks.catalog.

Run from anywhere: `python task_yamls/tydiqa/_generate_configs.py`; commit the result.
"""

from pathlib import Path

from xfer_tasks.catalog import TYDIQA, write_family

if __name__ == "__main__":
    for path in write_family(TYDIQA.name, Path(__file__).resolve().parent):
        print(path)
