"""Code that ships itself (local imports, a source directory, .gitignore, secrets),
modules importable in a plain local run, and what a script sees inside a job."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import run_script

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.code import select_code

LOCAL = ("--sagemaker-run", "true", "--sagemaker-instance", "local")
DRY = ("--sagemaker-run", "true", "--sagemaker-dry-run", "true")

SIBLING_SCRIPT = """
import json, os
import helpers
from tools.text import shout
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    code_dir = os.path.dirname(os.path.abspath(__file__))
    shipped = sorted(
        os.path.relpath(os.path.join(root, name), code_dir)
        for root, dirs, files in os.walk(code_dir)
        for name in files
        if not os.path.relpath(root, code_dir).startswith("aws_sagemaker_remote")
    )
    with open(os.path.join(args.output, "result.json"), "w") as f:
        json.dump({"value": shout(helpers.VALUE), "shipped": shipped}, f)

if __name__ == "__main__":
    sagemaker_processing_main(main=main, outputs={"output": "out"})
"""


# The job writes no bytecode of its own, so what its code directory holds is what shipped.
NO_PYC = ("--sagemaker-env", "PYTHONDONTWRITEBYTECODE=1")


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "job.py").write_text(SIBLING_SCRIPT)
    (tmp_path / "helpers.py").write_text("from consts import BASE\nVALUE = BASE + '-helped'\n")
    (tmp_path / "consts.py").write_text("BASE = 'ok'\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "__init__.py").write_text("")
    (tmp_path / "tools" / "text.py").write_text("def shout(s):\n    return s.upper()\n")
    (tmp_path / "tools" / "scratch.log").write_text("ignored\n")
    (tmp_path / "tools" / "__pycache__").mkdir()
    (tmp_path / "tools" / "__pycache__" / "text.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "tools" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "tools" / ".ipynb_checkpoints" / "text-checkpoint.py").write_text("x = 1\n")
    (tmp_path / "unrelated.py").write_text("raise SystemExit('never imported')\n")
    (tmp_path / ".gitignore").write_text("*.log\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return tmp_path


@pytest.mark.e2e
def test_sibling_modules_ship_and_the_summary_names_them(project):
    done = run_script(project / "job.py", *LOCAL, *NO_PYC, cwd=project)
    assert done.returncode == 0, done.stderr
    result = json.loads((project / "out" / "result.json").read_text())
    assert result["value"] == "OK-HELPED"
    assert result["shipped"] == [
        "consts.py",
        "helpers.py",
        "job.py",
        "tools/__init__.py",
        "tools/text.py",
    ]
    assert "code: job.py with local modules consts, helpers, tools (5 files)" in done.stderr


@pytest.mark.e2e
def test_source_dir_ships_the_directory_honouring_gitignore(project):
    done = run_script(
        project / "job.py", *LOCAL, *NO_PYC, "--sagemaker-source-dir", project, cwd=project
    )
    assert done.returncode == 0, done.stderr
    shipped = json.loads((project / "out" / "result.json").read_text())["shipped"]
    assert shipped == [
        ".gitignore",
        "consts.py",
        "helpers.py",
        "job.py",
        "tools/__init__.py",
        "tools/text.py",
        "unrelated.py",
    ]
    assert f"code: {project} (7 files, .gitignore honoured)" in done.stderr


def test_selection_never_ships_git_caches_or_ignored_files(project):
    selection = select_code(str(project / "job.py"), source_dir=str(project))
    assert not any(
        part in (".git", "__pycache__", ".ipynb_checkpoints")
        for rel in selection.relpaths
        for part in rel.split("/")
    )
    assert "tools/scratch.log" not in selection.relpaths


def test_declared_modules_and_requirements_do_not_ship_as_local_imports(project):
    (project / "requirements.txt").write_text("consts==1.0\n")
    selection = select_code(str(project / "job.py"), declared={"tools", "consts"})
    assert selection.local_modules == ("helpers",)


def test_an_ignored_import_is_named_not_shipped(project):
    (project / ".gitignore").write_text("*.log\nconsts.py\n")
    selection = select_code(str(project / "job.py"))
    assert "consts.py" not in selection.relpaths
    assert "not shipped, ignored by .gitignore: consts" in selection.summary("job.py")


@pytest.mark.e2e
@pytest.mark.parametrize(
    "name, content",
    [
        (".env", "AWS_SECRET_ACCESS_KEY=abc\n"),
        (
            "tools/deploy.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
        ),
        ("tools/id_ed25519", "key\n"),
    ],
)
def test_secrets_in_the_code_are_refused_unless_allowed(project, no_aws_env, name, content):
    (project / name).write_text(content)
    args = ("--sagemaker-source-dir", project) if name == ".env" else ()
    done = run_script(project / "job.py", *DRY, *args, cwd=project, env=no_aws_env)
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "error:" in line and name.rsplit("/", 1)[-1] in line
    assert "--sagemaker-allow-secrets" in line
    assert done.stdout == ""
    done = run_script(
        project / "job.py",
        *DRY,
        *args,
        "--sagemaker-allow-secrets",
        "yes",
        cwd=project,
        env=no_aws_env,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.e2e
def test_a_script_outside_its_source_dir_is_refused(project, tmp_path_factory, no_aws_env):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    done = run_script(
        project / "job.py", *DRY, "--sagemaker-source-dir", elsewhere, cwd=project, env=no_aws_env
    )
    assert done.returncode == 2
    assert "--sagemaker-source-dir" in done.stderr and "is not inside" in done.stderr


@pytest.mark.e2e
def test_a_secret_in_a_module_directory_is_refused(tmp_path, no_aws_env):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "mylib").mkdir()
    (tmp_path / "lib" / "mylib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "mylib" / ".env").write_text("TOKEN=1\n")
    (tmp_path / "job.py").write_text(
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "sagemaker_processing_main(main=print, script=__file__, modules={'mylib': 'lib/mylib'})\n"
    )
    done = run_script(tmp_path / "job.py", *DRY, cwd=tmp_path, env=no_aws_env)
    assert done.returncode == 2
    assert "--mylib" in done.stderr and ".env" in done.stderr


def test_the_import_scan_tolerates_what_python_would_reject(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("import helpers\ndef broken(:\n")
    (tmp_path / "helpers.py").write_text("")
    assert select_code(str(script)).relpaths == ("job.py",)


# -- modules= in a plain local run ---------------------------------------------------------

MODULE_SCRIPT = """
from aws_sagemaker_remote.processing import sagemaker_processing_main, in_job

def main(args):
    import mylib
    import single
    print(mylib.NAME, single.NAME, in_job())

if __name__ == "__main__":
    modules = {"mylib": "src/mylib", "single": "extra/single.py"}
    sagemaker_processing_main(main=main, modules=modules)
"""


@pytest.mark.e2e
def test_modules_are_importable_in_a_plain_local_run(tmp_path):
    (tmp_path / "src" / "mylib").mkdir(parents=True)
    (tmp_path / "src" / "mylib" / "__init__.py").write_text("NAME = 'mylib'\n")
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "single.py").write_text("NAME = 'single'\n")
    (tmp_path / "job.py").write_text(MODULE_SCRIPT)
    done = run_script(tmp_path / "job.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["mylib", "single", "False"]
    done = run_script(tmp_path / "job.py", *LOCAL, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


# -- inside a job ----------------------------------------------------------------------------

INSIDE_SCRIPT = """
import json, os
from aws_sagemaker_remote.processing import sagemaker_processing_main, in_job

def main(args):
    seen = {k: v for k, v in vars(args).items() if k.endswith(("_mode", "_distribution", "_type"))}
    seen.update(
        in_job=in_job(),
        job_name=args.sagemaker_job_name,
        instance=args.sagemaker_instance,
        instance_count=args.sagemaker_instance_count,
        runtime=args.sagemaker_runtime_seconds,
        volume=args.sagemaker_volume_size,
    )
    out = os.path.join(args.output, "seen.json")
    if not os.path.exists(out):
        with open(out, "w") as f:
            json.dump(seen, f, sort_keys=True)

if __name__ == "__main__":
    sagemaker_processing_main(
        main=main, inputs={"data": "data"}, outputs={"output": "out"}, runtime_seconds=600
    )
"""


@pytest.mark.e2e
def test_args_inside_the_job_show_what_the_job_uses(tmp_path):
    (tmp_path / "data").mkdir()
    for i in range(4):
        (tmp_path / "data" / f"{i}.txt").write_text(str(i))
    (tmp_path / "job.py").write_text(INSIDE_SCRIPT)
    done = run_script(
        tmp_path / "job.py",
        *LOCAL,
        "--data-distribution",
        "ShardedByS3Key",
        "--output-mode",
        "Continuous",
        "--sagemaker-runtime-seconds",
        "900",
        "--sagemaker-volume-size",
        "7",
        "--sagemaker-job-name",
        f"inside-{tmp_path.name[-20:].replace('_', '-')}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads((tmp_path / "out" / "seen.json").read_text())
    assert seen == {
        "data_data_type": "S3Prefix",
        "data_distribution": "ShardedByS3Key",
        "data_mode": "File",
        "output_mode": "Continuous",
        "in_job": True,
        "job_name": f"inside-{tmp_path.name[-20:].replace('_', '-')}",
        "instance": "local",
        "instance_count": 1,
        "runtime": 900,
        "volume": 7,
    }


@pytest.mark.e2e
def test_in_job_is_false_here():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from aws_sagemaker_remote.processing import in_job; print(in_job())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"


def test_select_code_refuses_with_a_user_error_naming_the_field(project):
    (project / ".env").write_text("X=1\n")
    with pytest.raises(UserError) as caught:
        select_code(str(project / "job.py"), source_dir=str(project))
    assert caught.value.field == "source_dir"
