"""Write this folder's per-language task YAMLs and its group YAML from xfer_tasks.catalog.

Run from anywhere: `python task_yamls/xnli/_generate_configs.py`; commit the result.
"""

from pathlib import Path

from xfer_tasks.catalog import XNLI, write_family

if __name__ == "__main__":
    for path in write_family(XNLI.name, Path(__file__).resolve().parent):
        print(path)
