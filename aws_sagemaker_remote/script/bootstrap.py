"""The job's entrypoint inside a processing container: prepare the environment, then exec.

SageMaker runs whatever image the job names, so the library cannot rely on anything being
installed there. It ships itself with the user's script and makes this file the
ContainerEntrypoint: it runs as a plain file (``python3 .../bootstrap.py``) on any Python
3.7+, with the standard library only and no import of its own package. It puts the module
directories on PYTHONPATH, ``source``s the configuration script (so its exports reach the
script), runs the configuration command, ``pip install -r``s the requirements and finally
execs the user's script, so signals and the exit code are the script's own. Its command
line is written and read here only: the request takes :func:`option_tokens`, the local
engine reads a job's entrypoint with :func:`parse_arguments`.

The local engine runs the same entrypoint without Docker. Where it cannot give the job a
literal ``/opt/ml`` (no namespaces), it maps ``/opt/ml`` onto a directory of the job's own
(named by ``AWS_SAGEMAKER_REMOTE_OPT_ML``); the bootstrap rewrites its options and the
script's arguments accordingly. The engine installs requirements into a cached
environment itself and says so (``AWS_SAGEMAKER_REMOTE_REQUIREMENTS_INSTALLED``).
Each step is announced with one line on stderr; a failing step prints
one line and exits with that step's exit code.
"""

from __future__ import annotations

import os
import sys

# subprocess is imported where used: every job pays for this file's imports before its
# script starts, and most jobs have no configuration step to run. No shlex either (it
# imports re and enum): quote() below is shlex.quote's rule. The local engine starts this
# file with ``-S`` (no site: it needs the standard library only), so anything imported
# here costs every local job in full.

# These mirror aws_sagemaker_remote.layout.OPT_ML and .OPT_ML_ENV (not importable here).
OPT_ML = "/opt/ml"
OPT_ML_ENV = "AWS_SAGEMAKER_REMOTE_OPT_ML"
# Mirrors layout.REQUIREMENTS_INSTALLED_ENV: set by the local engine to the requirements
# file it already installed into the job's (cached) environment.
REQUIREMENTS_INSTALLED_ENV = "AWS_SAGEMAKER_REMOTE_REQUIREMENTS_INSTALLED"
# Mirrors layout.IN_JOB_ENV: tells the script (processing.in_job()) that it runs in a job.
IN_JOB_ENV = "AWS_SAGEMAKER_REMOTE_IN_JOB"

PREFIX = "[aws-sagemaker-remote] "


def say(message: str) -> None:
    print(PREFIX + message, file=sys.stderr, flush=True)


def map_path(value: str, opt_ml: str | None) -> str:
    """Rewrite ``/opt/ml`` or ``/opt/ml/...`` onto ``opt_ml``; anything else is unchanged."""
    if not opt_ml:
        return value
    root = opt_ml.rstrip("/") or "/"
    if root == OPT_ML or value == root or value.startswith(root + "/"):
        return value
    if value == OPT_ML or value.startswith(OPT_ML + "/"):
        return root + value[len(OPT_ML) :]
    return value


def map_argument(arg: str, opt_ml: str | None) -> str:
    """Map a script argument: a bare path, or the value of ``--flag=/opt/ml/...``."""
    if arg.startswith("-") and "=" in arg:
        flag, value = arg.split("=", 1)
        return flag + "=" + map_path(value, opt_ml)
    return map_path(arg, opt_ml)


class Options:
    """What the entrypoint asks for (the options before ``--``), one attribute per option."""

    def __init__(
        self,
        script: str = "",
        python_path: list[str] | tuple[str, ...] = (),
        requirements: str | None = None,
        configuration_script: str | None = None,
        configuration_command: str | None = None,
        python: str | None = None,  # None: the interpreter that runs this file
    ) -> None:
        self.script = script
        self.python_path = list(python_path)
        self.requirements = requirements
        self.configuration_script = configuration_script
        self.configuration_command = configuration_command
        self.python = python


# Each option's name and its Options attribute, in the order the entrypoint lists them.
OPTIONS = (
    ("--script", "script"),
    ("--python-path", "python_path"),  # the one option that may be given more than once
    ("--requirements", "requirements"),
    ("--configuration-script", "configuration_script"),
    ("--configuration-command", "configuration_command"),
    ("--python", "python"),
)
END = "--"  # the end of the options: the script's own arguments follow
USAGE = (
    "usage: bootstrap.py --script SCRIPT [--python-path DIR]... [--configuration-script FILE]"
    " [--configuration-command COMMAND] [--requirements FILE] [--python PYTHON] -- ARGS..."
)


def option_tokens(options: Options) -> list[tuple[str, str | None]]:
    """The entrypoint's tokens after this file, through the ``--`` its arguments follow,
    each with the Options attribute behind it (None for names and ``--``), so the request
    can name the setting behind each. A value is always a token of its own, never
    ``--name=value``: any string (``--``, ``-x``, ``a=b``, empty) reads back as it is."""
    tokens: list[tuple[str, str | None]] = []
    for name, attribute in OPTIONS:
        value = getattr(options, attribute)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                tokens += [(name, None), (item, attribute)]
    tokens.append((END, None))
    return tokens


def parse_arguments(argv: list[str]) -> tuple[Options, list[str]]:
    """``--name value`` or ``--name=value`` up to ``--``; the script's own arguments follow.
    No argparse: the options are our own entrypoint's, and its import costs every job
    as much as the rest of this file. A malformed command line raises ValueError."""
    options = Options()
    attributes = dict(OPTIONS)
    index = 0
    while index < len(argv) and argv[index] != END:
        name, sep, value = argv[index].partition("=")
        attribute = attributes.get(name)
        if not sep:
            if attribute is None or index + 1 == len(argv):
                raise ValueError(f"unrecognized or incomplete option: {name}")
            index += 1
            value = argv[index]
        if attribute is None:
            raise ValueError(f"unrecognized option: {name}")
        if attribute == "python_path":
            options.python_path.append(value)
        else:
            setattr(options, attribute, value)
        index += 1
    if not options.script:
        raise ValueError("the following arguments are required: --script")
    return options, argv[index + 1 :]


def which(command: str, path: str) -> str | None:
    """``shutil.which`` on POSIX (whose import costs more than this): ``command`` itself when
    it has a directory part, else the first executable file of that name on ``path``."""
    candidates = (
        [command]
        if os.path.dirname(command)
        else [os.path.join(directory, command) for directory in path.split(os.pathsep)]
    )
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def quote(arg: str) -> str:
    """``shlex.quote``: an argument a POSIX shell reads back as it is."""
    if not arg:
        return "''"
    if all(c in _SAFE for c in arg):
        return arg
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def exit_code(returncode: int) -> int:
    """A process killed by signal N reports -N; exit as a shell would, with 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def source_configuration(script: str, env: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Source ``script`` in bash and return the environment it leaves behind."""
    import subprocess

    command = ["bash", "-c", '. "$1" >&2 && env -0', "bash", script]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE)
    if done.returncode != 0:
        return exit_code(done.returncode), env
    new_env = {}
    for entry in done.stdout.split(b"\0"):
        name, sep, value = entry.partition(b"=")
        if sep and name:
            new_env[os.fsdecode(name)] = os.fsdecode(value)
    new_env.pop("_", None)  # bash's "last command" variable, not the script's
    return 0, new_env


def has_requirements(path: str) -> bool:
    """False for a file of blank lines and comments: pip would only cost a second to say so."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return any(line.split("#", 1)[0].strip() for line in f)
    except OSError:
        return True  # let pip report the problem


def main(argv: list[str] | None = None, opt_ml: str | None = None) -> int:
    try:
        options, script_args = parse_arguments(sys.argv[1:] if argv is None else argv)
    except ValueError as error:  # as argparse would: the usage, the error, exit 2
        print(f"{USAGE}\nbootstrap.py: error: {error}", file=sys.stderr, flush=True)
        return 2
    opt_ml = opt_ml or os.environ.get(OPT_ML_ENV) or None
    if opt_ml:
        say(f"{OPT_ML} is mapped to {opt_ml}")
    script = map_path(options.script, opt_ml)
    python_path = [map_path(p, opt_ml) for p in options.python_path]
    configuration_script = options.configuration_script and map_path(
        options.configuration_script, opt_ml
    )
    requirements = options.requirements and map_path(options.requirements, opt_ml)
    python = map_path(
        (sys.executable or "python3") if options.python is None else options.python, opt_ml
    )
    script_args = [map_argument(a, opt_ml) for a in script_args]
    env = dict(os.environ)

    if python_path:
        existing = env.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join(python_path + ([existing] if existing else []))
        say(f"PYTHONPATH={env['PYTHONPATH']}")

    if configuration_script:
        say(f"sourcing configuration script {configuration_script}")
        try:
            code, new_env = source_configuration(configuration_script, env)
        except FileNotFoundError:
            say("configuration script failed: bash not found")
            return 127
        if code != 0:
            say(f"configuration script {configuration_script} failed with exit code {code}")
            return code
        if not new_env:
            say(f"configuration script {configuration_script} exited early (it may call exit)")
            return 1
        env = new_env

    if options.configuration_command:
        say(f"running configuration command: {options.configuration_command}")
        import subprocess

        try:
            done = subprocess.run(["bash", "-c", options.configuration_command], env=env, stdout=2)
        except FileNotFoundError:
            say("configuration command failed: bash not found")
            return 127
        if done.returncode != 0:
            say(f"configuration command failed with exit code {exit_code(done.returncode)}")
            return exit_code(done.returncode)

    resolved = which(python, env.get("PATH", os.defpath))
    if resolved is None:
        say(f"python interpreter not found: {python}")
        return 127
    python = os.path.abspath(resolved)

    installed = env.pop(REQUIREMENTS_INSTALLED_ENV, None)
    if requirements and installed == options.requirements:
        say(f"requirements {requirements} are installed in the job's environment already")
    elif requirements and not has_requirements(requirements):
        say(f"{requirements} lists no requirements; nothing to install")
    elif requirements:
        say(f"installing requirements from {requirements}")
        import subprocess

        pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "-r", requirements]
        done = subprocess.run(pip, env=env, stdout=2)  # pip's output belongs in the log
        if done.returncode != 0:
            code = exit_code(done.returncode)
            say(f"pip install -r {requirements} failed with exit code {code}")
            return code

    env[IN_JOB_ENV] = "1"
    command = [python, script, *script_args]
    say(f"running {' '.join(quote(part) for part in command)}")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(python, command, env)
    except OSError as error:
        say(f"cannot run {python}: {error}")
        return 127 if isinstance(error, FileNotFoundError) else 126


if __name__ == "__main__":
    sys.exit(main())
