"""``xfer compare --out`` naming an existing file: one line, exit 2, before any output."""

from __future__ import annotations

from compare_lmeval_writer import write_run

from xfer_tasks.compare.cli_compare import main as compare_main


def test_out_onto_an_existing_file_is_refused_before_the_table(tmp_path, capsys):
    """It used to print the whole table, then end in a traceback from the report writer."""
    a = write_run(tmp_path, "m/a", {"xfer_xnli_de": {"acc": [1, 0, 1, 0]}})
    b = write_run(tmp_path, "m/b", {"xfer_xnli_de": {"acc": [1, 1, 1, 0]}})
    target = tmp_path / "report.txt"
    target.write_text("keep me\n", encoding="utf-8")
    assert compare_main([str(a), str(b), "--out", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no table printed first
    assert captured.err.splitlines() == [
        f"xfer compare: --out {target} is a file; expected a folder (new or existing)"
    ]
    assert target.read_text(encoding="utf-8") == "keep me\n"
