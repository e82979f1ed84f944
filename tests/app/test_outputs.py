"""Output paths are checked before the work starts."""

import pytest

from h2lane.app.outputs import check_output_dir, check_output_file, write_text
from h2lane.errors import OutputPathError


def test_output_file_checks(tmp_path):
    assert check_output_file(None, "--map") is None
    assert check_output_file(tmp_path / "a.html", "--map") == tmp_path / "a.html"
    with pytest.raises(OutputPathError, match=r"--map .*does not exist"):
        check_output_file(tmp_path / "no" / "a.html", "--map")
    with pytest.raises(OutputPathError, match="is a directory"):
        check_output_file(tmp_path, "--report")
    with pytest.raises(OutputPathError, match="needs a file name"):
        check_output_file("", "--map")


def test_output_dir_is_created_and_files_written(tmp_path):
    out = check_output_dir(tmp_path / "x" / "y", "--csv-dir")
    assert out is not None and out.is_dir()
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputPathError, match="is a file"):
        check_output_dir(tmp_path / "f", "--csv-dir")
    assert write_text(out / "a.txt", "氢", "--x").read_text(encoding="utf-8") == "氢"
    with pytest.raises(OutputPathError, match="cannot be written"):
        write_text(tmp_path / "missing" / "a.txt", "x", "--x")
