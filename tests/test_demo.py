"""``xfer demo`` (the README's main command) is `xfer study` on the shipped demo study: it runs end
to end offline, and a second run redoes nothing."""

from __future__ import annotations

import json
import os

import pytest

from xfer_tasks import cli


@pytest.mark.slow
def test_demo_end_to_end_then_resumes(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("XFER_DATA_DIR", raising=False)  # set, it would run the real-data study
    out = tmp_path / "demo"
    args = ["demo", "--output-dir", str(out), "--seeds", "1", "--train-steps", "2"]
    environment = dict(os.environ)
    assert cli.main(args) == 0
    assert dict(os.environ) == environment  # the demo's offline variables etc. do not leak
    printed = capsys.readouterr().out
    assert "SMOKE-SCALE" in printed and "xfer study --config" in printed
    assert "xfer demo --data-dir DATA" in printed and "mteb/tatoeba-bitext-mining" in printed
    # the scaling answer leads, and at smoke scale it says the test sets are too small (an
    # interval that excludes 0 is still reported as a pilot result, never denied: issue 17)
    assert "points per added task" in printed
    assert "the test sets are too small for the effects intermediate training is expected" in printed

    for sweep, benchmarks in (("causal-lm", {"xfer_xnli", "xfer_tydiqa"}),
                              ("encoder", {"xfer_tatoeba", "xfer_bucc"})):  # fmt: skip
        checkpoints = sorted(p.name for p in (out / "checkpoints" / sweep).iterdir() if p.is_dir())
        assert checkpoints == ["k00-seed0", "k01-seed0", "k02-seed0", "k03-seed0"], checkpoints
        manifest = json.loads(
            (out / "checkpoints" / sweep / "k02-seed0" / "xfer_manifest.json").read_text()
        )
        assert manifest["k"] == 2 and len(manifest["intermediate_tasks"]) == 2
        report = out / "report" / sweep
        assert (report / "report.html").stat().st_size > 0
        assert (report / "scaling_curve.png").stat().st_size > 0
        table = json.loads((report / "comparison.json").read_text())
        assert benchmarks <= {row["benchmark"] for row in table["rows"]}, sweep
        assert not list((out / "results" / sweep).glob("*.partial"))
        # results in lm-eval's layout, with samples, from the README's harness call
        for point in checkpoints:
            results = out / "results" / sweep / point
            assert list(results.glob("*/results_*.json")) and list(results.glob("*/samples_*.jsonl"))
            call = json.loads((results / "xfer_eval.json").read_text())["command"]
            assert call[:3] == ["lm_eval", "--model", "hf"] and "--log_samples" in call
    assert (out / "report" / "index.html").is_file()

    # a second run finds every stage done and only redraws the report
    assert cli.main(args) == 0
    again = capsys.readouterr().err
    assert "train: 8 of 8 done, 0 to run" in again
    assert "evaluate: 8 of 8 done, 0 to run" in again
    assert "evaluate causal-lm" not in again and "train causal-lm" not in again

    assert cli.main([*args, "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "train: 8 done" in plan and "evaluate: 8 done" in plan and "analysis: 2 done" in plan


# --- real data or the shipped smoke data: which study the demo builds (fast, nothing runs) ---


def _write_real_layouts(root, tatoeba=("deu", "fra"), tasks=("anli", "hellaswag")):
    """A data folder in the public releases' layouts, a few lines each: Tatoeba (LASER v1),
    XNLI (XTREME dev-<lang>.tsv), TyDiQA-GoldP (per-language SQuAD JSON) and two
    intermediate-task dev releases (ANLI annotated csv, HellaSwag 6-line text)."""
    import bz2

    (root / "tatoeba").mkdir(parents=True)
    for code in tatoeba:
        (root / "tatoeba" / f"tatoeba.{code}-eng.{code}").write_text("Hallo.\n", encoding="utf-8")
        (root / "tatoeba" / f"tatoeba.{code}-eng.eng").write_text("Hello.\n", encoding="utf-8")
    (root / "xnli").mkdir()
    (root / "xnli" / "dev-en.tsv").write_text("A man sleeps.\tA man rests.\tentailment\n", encoding="utf-8")
    (root / "tydiqa_goldp").mkdir()
    question = {"id": "english-1", "question": "Where is Paris?", "answers": [{"text": "France", "answer_start": 12}]}
    squad = {"data": [{"title": "Paris", "paragraphs": [{"context": "Paris is in France.", "qas": [question]}]}]}
    (root / "tydiqa_goldp" / "english_tydiqa_dev.json").write_text(json.dumps(squad), encoding="utf-8")
    if "anli" in tasks:
        (root / "anli").mkdir()
        for r in (1, 2, 3):
            (root / "anli" / f"ANLI_analysis_r{r}_dev.csv").write_text(
                "context,statement,gold_label\nA cat sat.,An animal sat.,e\n", encoding="utf-8"
            )
    if "hellaswag" in tasks:
        (root / "hellaswag").mkdir()
        text = "Cooking: He cuts onions. he\n0\nfries them.\nsleeps.\nflies.\nsings.\n"
        (root / "hellaswag" / "hellaswag_val_full.txt.bz2").write_bytes(bz2.compress(text.encode()))
    return root


def _built(argv, monkeypatch, tmp_path):
    from xfer_tasks import demo

    args = demo.build_parser().parse_args(argv)
    data = args.data_dir or (os.environ.get("XFER_DATA_DIR") and demo.Path(os.environ["XFER_DATA_DIR"]))
    args.data_dir = data
    return demo.build_config(args, tmp_path / "out")


def test_demo_picks_the_real_data_when_given(tmp_path, monkeypatch):
    from xfer_tasks import demo

    monkeypatch.delenv("XFER_DATA_DIR", raising=False)
    root = _write_real_layouts(tmp_path / "data")
    config, found = _built(["--data-dir", str(root), "--causal"], monkeypatch, tmp_path)
    assert config.source == str(demo.REAL_STUDY)
    assert found.tasks == ["anli", "hellaswag"] and found.tatoeba == ["deu", "fra"]
    assert found.xnli == ["en"] and found.tydiqa == ["en"] and found.bucc == []
    models = {m.name: m for m in config.models}
    assert set(models) == {"encoder", "causal-lm"}
    for spec in models.values():
        base, sweep = spec.sweep["base"], spec.sweep["sweep"]
        assert base["split"] == "validation"  # dev releases as training data: explicit
        assert base["data_dir"] == str(root.resolve())
        assert sweep["tasks"] == ["anli", "hellaswag"]  # the tasks found, nothing else
        assert sweep["order"] == "random" and sweep["order_per_seed"] is True
        assert sweep["seeds"] == [0, 1, 2] and max(sweep["k"]) <= 2
        assert spec.evaluation.data_dir == str(root.resolve())
    # 2 of 36 Tatoeba languages: the pairs themselves, not the 36-language group
    assert models["encoder"].evaluation.tasks == ["xfer_tatoeba_deu", "xfer_tatoeba_fra"]
    assert models["causal-lm"].evaluation.tasks == ["xfer_xnli_en", "xfer_tydiqa_en"]
    assert any("34 of 36" in line for line in found.left_out())
    # without --causal the encoder half alone: the tiny random LM's half costs ~8 minutes
    default, _ = _built(["--data-dir", str(root)], monkeypatch, tmp_path)
    assert [m.name for m in default.models] == ["encoder"]
    wider, _ = _built(["--data-dir", str(root), "--k", "0,1,2"], monkeypatch, tmp_path)
    assert wider.models[0].sweep["sweep"]["k"] == [0, 1, 2]
    no_encoder, _ = _built(["--data-dir", str(root), "--no-encoder"], monkeypatch, tmp_path)
    assert [m.name for m in no_encoder.models] == ["causal-lm"]  # then the causal half runs


def test_demo_reads_XFER_DATA_DIR_and_falls_back_to_the_shipped_data(tmp_path, monkeypatch):
    from xfer_tasks import demo

    root = _write_real_layouts(tmp_path / "data")
    monkeypatch.setenv("XFER_DATA_DIR", str(root))
    config, _ = _built([], monkeypatch, tmp_path)
    assert config.source == str(demo.REAL_STUDY)

    monkeypatch.delenv("XFER_DATA_DIR")
    smoke = _built([], monkeypatch, tmp_path)
    assert smoke.source == str(demo.DEMO_STUDY)
    for spec in smoke.models:
        assert spec.sweep["base"]["data_dir"] == str(demo.DEMO_DATA / "train")
        assert spec.evaluation.data_dir == str(demo.DEMO_DATA / "eval")
        assert spec.sweep["sweep"]["seeds"] == [0, 1]


def test_demo_dry_run_on_real_data_plans_the_real_study(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("XFER_DATA_DIR", raising=False)
    root = _write_real_layouts(tmp_path / "data", tatoeba=("deu",), tasks=("anli",))
    out = tmp_path / "study"
    assert cli.main(["demo", "--data-dir", str(root), "--output-dir", str(out), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "demo_real.yaml" in plan
    # the encoder half: k = 0 (the untrained base model, once) and k = 1 x 3 seeds
    assert "train: 4 todo" in plan and "evaluate: 4 todo" in plan
    assert not out.exists()  # a dry run writes nothing
    # with the causal half: its tiny LM does not exist yet; the checks use a throwaway copy
    assert cli.main(["demo", "--data-dir", str(root), "--causal", "--output-dir", str(out), "--dry-run"]) == 0
    assert "train: 8 todo" in capsys.readouterr().out and not out.exists()


def test_demo_refuses_a_data_folder_it_cannot_use(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("XFER_DATA_DIR", raising=False)
    assert cli.main(["demo", "--data-dir", str(tmp_path / "nowhere"), "--dry-run"]) == 2
    assert "not a folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    _write_real_layouts(empty, tasks=())
    assert cli.main(["demo", "--data-dir", str(empty), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "no intermediate-task release found" in err and len(err.strip().splitlines()) == 1
    root = _write_real_layouts(tmp_path / "data")
    assert cli.main(["demo", "--data-dir", str(root), "--tatoeba", "deu,xyz", "--dry-run"]) == 2
    assert "--tatoeba: xyz" in capsys.readouterr().err
    assert cli.main(["demo", "--data-dir", str(root), "--k", "0,3", "--dry-run"]) == 2  # 2 tasks here
    assert "--k: 3 tasks asked for" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["demo", "--data-dir", str(root), "--k", "0,x"])
    assert "expected whole numbers" in capsys.readouterr().err
    assert cli.main(["demo", "--tatoeba", "deu", "--dry-run"]) == 2  # a subset of what? no real data
    assert "--tatoeba needs real data" in capsys.readouterr().err


def test_answer_lines_are_the_summary_sentences():
    from xfer_tasks.demo import answer_lines

    summary = (
        "# How scores change as intermediate tasks are added\n\n"
        "- xfer_tatoeba acc_en2xx: -0.40 points per added task (95% CI -0.9 to +0.1; p = 0.2; 4 runs, 3 seeds)\n"
        "  - no effect of the number of tasks is detectable\n\n"
        "Unit of analysis: the training run.\n\n## Trends\n\n- not this\n"
    )
    assert answer_lines(summary) == [
        "- xfer_tatoeba acc_en2xx: -0.40 points per added task (95% CI -0.9 to +0.1; p = 0.2; 4 runs, 3 seeds)",
        "  - no effect of the number of tasks is detectable",
    ]


def test_demo_check_writes_nothing_and_does_not_claim_a_run(tmp_path, capsys):
    """`xfer demo --check` used to build the tiny LM under the output folder and then print
    'done ... Report: …/index.html' for a report that does not exist."""
    out = tmp_path / "demo"
    assert cli.main(["demo", "--check", "--output-dir", str(out)]) == 0
    captured = capsys.readouterr()
    assert "every check passed" in captured.err + captured.out
    assert "done in" not in captured.err + captured.out
    assert not out.exists()
