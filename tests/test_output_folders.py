"""Output folders are never destroyed: `--out` onto a folder simdt did not write, the working folder or a
parent of it is refused before anything runs; a previous simdt result of the same kind is replaced whole."""
import os
from pathlib import Path

import pandas as pd
import pytest

from simdt import cli
from simdt.atomic import MARKER, OutputFolderError, atomic_folder, check_target, claim_folder

FAST = ["--set", "fl.rounds=1", "--set", "sites.count=2", "--quiet"]


def test_run_out_onto_a_user_folder_is_refused_and_keeps_its_files(tmp_path, capsys):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "f").write_text("x")
    assert cli.main(["run", "default", "--out", str(keep), *FAST]) == 2
    assert (keep / "f").read_text() == "x" and sorted(p.name for p in keep.iterdir()) == ["f"]
    err = capsys.readouterr().err
    assert "not a simdt result" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("target", [".", "..", "../.."])
def test_current_folder_and_its_parents_are_never_targets(tmp_path, monkeypatch, capsys, target):
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    (work / "mine.txt").write_text("keep")
    run_dir = tmp_path / "run"
    assert cli.main(["run", "default", "--out", str(run_dir), *FAST]) == 0
    monkeypatch.chdir(work)
    for command in (["run", "default", "--out", target, *FAST], ["report", str(run_dir), "--out", target]):
        assert cli.main(command) == 2
        assert "current folder or one of its parents" in capsys.readouterr().err
    assert (work / "mine.txt").read_text() == "keep"


def test_sweep_and_plan_folders_refuse_foreign_content(tmp_path):
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.md").write_text("y")
    assert cli.main(["sweep", "default", "--grid", "fl.rounds=1", "--seeds", "1", "--out", str(foreign), "--quiet"]) == 2
    assert cli.main(["plan", "default", "--target", "f1=0.5", "--deadline", "1h", "--vary",
                     "sites.uplink.up=1Mbps..5Mbps", "--out", str(foreign), "--quiet"]) == 2
    assert [p.name for p in foreign.iterdir()] == ["todo.md"]


def test_a_previous_result_is_replaced_whole_and_an_error_leaves_it_untouched(tmp_path):
    target = tmp_path / "run"
    with atomic_folder(target, "manifest.json") as tmp:
        (tmp / "manifest.json").write_text("{}")
        (tmp / "old.csv").write_text("1")
    with atomic_folder(target, "manifest.json") as tmp:
        (tmp / "manifest.json").write_text('{"v": 2}')
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json"]
    with pytest.raises(RuntimeError), atomic_folder(target, "manifest.json") as tmp:
        (tmp / "half.csv").write_text("2")
        raise RuntimeError("the simulation failed")
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left beside it


def test_a_file_and_a_folder_of_another_kind_are_refused(tmp_path):
    (tmp_path / "file").write_text("z")
    with pytest.raises(OutputFolderError, match="not a folder"):
        check_target(tmp_path / "file", "manifest.json")
    report = tmp_path / "report"
    with atomic_folder(report, "report.html") as tmp:
        (tmp / "report.html").write_text("<html/>")
    with pytest.raises(OutputFolderError, match="no manifest.json"):
        check_target(report, "manifest.json")
    check_target(tmp_path / "empty-or-absent", "manifest.json")


def test_claimed_folders_resume(tmp_path):
    out = claim_folder(tmp_path / "sweep")
    (out / "runs").mkdir()
    assert claim_folder(out) == out and (out / MARKER).is_file() and (out / "runs").is_dir()


def test_a_run_writes_its_folder_and_a_second_run_replaces_it(tmp_path):
    out = tmp_path / "r"
    assert cli.main(["run", "default", "--out", str(out), *FAST]) == 0
    first = pd.read_csv(out / "summary.csv")
    assert cli.main(["run", "default", "--out", str(out), *FAST]) == 0
    pd.testing.assert_frame_equal(first, pd.read_csv(out / "summary.csv"))
