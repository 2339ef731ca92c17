"""benchmarks/bench_real_size.py: the harness data folder it builds is in the releases' layouts."""

from __future__ import annotations


def test_real_size_harness_data_is_in_release_layouts(tmp_path, shared_data, monkeypatch):
    import bench_real_size

    from xfer_tasks.catalog import BUCC, MMMLU
    from xfer_tasks.data.bucc import load_bucc_split

    monkeypatch.setenv("XFER_SHARED_DATA", str(shared_data))
    root = bench_real_size.harness_data(tmp_path / "data")
    assert (root / "xnli").resolve() == (shared_data / "xnli").resolve()
    for lang in BUCC.languages:
        for split in ("sample", "training"):
            src_ids, src_texts, trg_ids, _, gold = load_bucc_split(root / "bucc2018", lang, split)
            assert len(gold) == 10 and len(src_ids) == 20 and len(trg_ids) == 30 and all(src_texts)
    assert len(list((root / "mmmlu" / "test").glob("mmlu_*.csv"))) == len(MMMLU.languages)
