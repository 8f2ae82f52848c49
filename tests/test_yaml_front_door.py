"""Malformed YAML gets one line naming file:line, exit 2, no traceback: duplicate keys, bytes that are not
UTF-8, documents nested too deeply or too large for a scenario."""
from pathlib import Path

import pytest

from simdt import cli

DEFAULT = (Path(__file__).resolve().parents[1] / "scenarios" / "default.yaml").read_text()


def validate(tmp_path, capsys, content: bytes):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    code = cli.main(["validate", str(path)])
    err = capsys.readouterr().err.strip()
    return code, err, str(path)


def test_a_duplicated_top_level_section_is_an_error_at_its_second_line(tmp_path, capsys):
    text = DEFAULT + "\nfl:\n  rounds: 3\n"
    code, err, path = validate(tmp_path, capsys, text.encode())
    line = text.count("\n") - 1  # the second `fl:`
    assert code == 2 and len(err.splitlines()) == 1
    assert f"{path}:{line}: fl: duplicate key (first at line" in err


def test_a_duplicated_nested_key_names_itself(tmp_path, capsys):
    code, err, path = validate(tmp_path, capsys, b"name: x\nfl:\n  rounds: 3\n  rounds: 4\n")
    assert code == 2 and f"{path}:4: rounds: duplicate key (first at line 3)" in err


def test_bytes_that_are_not_utf8_give_their_line(tmp_path, capsys):
    code, err, path = validate(tmp_path, capsys, b"name: x\nfl:\n  rounds: \xff\xfe\n")
    assert code == 2 and err.endswith(f"{path}:3: not UTF-8") and "Traceback" not in err


def test_a_document_nested_too_deeply_is_one_line(tmp_path, capsys):
    code, err, _ = validate(tmp_path, capsys, b"a: " + b"[" * 20000 + b"]" * 20000 + b"\n")
    assert code == 2 and len(err.splitlines()) == 1 and "nested too deeply" in err


def test_a_file_too_large_for_a_scenario_is_refused_before_parsing(tmp_path, capsys):
    code, err, _ = validate(tmp_path, capsys, b"# " + b"x" * (2 << 20) + b"\n")
    assert code == 2 and "a scenario is at most" in err


def test_the_shipped_scenarios_have_no_duplicate_keys(capsys):
    root = Path(__file__).resolve().parents[1]
    shared = (root.parent / "shared").is_dir()  # some scenarios name traces in ../shared
    files = [p for p in sorted((root / "scenarios").glob("*.yaml")) if shared or "../shared" not in p.read_text()]
    assert len(files) >= 10 and cli.main(["validate", *map(str, files)]) == 0
