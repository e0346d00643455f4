"""One containment check for every download: hostile keys refused one by one, the rest placed."""

from aws_sagemaker_remote.storage.containment import place_all, segment_problem


def test_plain_relative_paths_pass():
    assert segment_problem("a/b.txt") is None


def test_each_hostile_shape_has_its_reason():
    assert "absolute" in segment_problem("/etc/passwd")
    assert "leave" in segment_problem("a/../../x")
    assert "empty or '.'" in segment_problem("a//b")
    assert "empty or '.'" in segment_problem("a/./b")
    assert "NUL" in segment_problem("a\x00b")
    assert "longer than" in segment_problem("x" * 256)
    assert segment_problem("") == "names no file under the target"


def test_place_all_refuses_the_bad_and_places_the_rest(tmp_path):
    placed, refused = place_all(
        tmp_path,
        [("p/ok.txt", "ok.txt"), ("p/../x", "../x"), ("p/dir/", "dir/"), ("p/s/t", "s/t")],
    )
    assert sorted(key for key, _ in placed) == ["p/ok.txt", "p/s/t"]
    assert all(str(path).startswith(str(tmp_path)) for _, path in placed)
    assert [r.key for r in refused] == ["p/../x"]
    assert refused[0].line().startswith("refused p/../x: ")


def test_a_file_key_beside_a_directory_key_is_refused(tmp_path):
    placed, refused = place_all(tmp_path, [("x", "x"), ("x/y", "x/y")])
    assert len(placed) + len(refused) == 2
    assert refused
