"""Write this folder's per-language task YAMLs and its group YAML from xfer_tasks.catalog.

Run from anywhere: `python task_yamls/m_mmlu/_generate_configs.py`; commit the result.
"""

from pathlib import Path

from xfer_tasks.catalog import M_MMLU, write_family

if __name__ == "__main__":
    for path in write_family(M_MMLU.name, Path(__file__).resolve().parent):
        print(path)
