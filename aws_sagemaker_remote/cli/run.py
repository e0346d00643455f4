"""``aws-sagemaker-remote run SCRIPT``: a script that parses its own arguments, unchanged,
as a processing job.

The SageMaker SDK's ``ScriptProcessor.run(code, inputs, outputs, arguments)`` on the
command line: ``--input``/``--output`` place channels by container path, every
``--sagemaker-*`` flag of a processing script applies, and what follows ``--`` is the
script's command line in the job, exactly. The job is built by :func:`..api.job_spec`
and run by :func:`..processing.remote.run_spec`, as ``--sagemaker-run true`` is.
"""

from __future__ import annotations

import argparse

from ..args import DATA_TYPES, DISTRIBUTIONS, INPUT_MODES, OUTPUT_MODES, PathArgument
from ..errors import Error, UserError, exit_on_error
from ..processing.args import ENV_EPILOG, OneLineParser
from ..processing.setting_flags import add_settings, setting_dest
from ..settings import BY_NAME, SETTINGS, resolve
from .flags import run_option_for_field

PROG = "aws-sagemaker-remote run"
# Settings of a processing script that mean nothing here, and why.
LEFT_OUT = {
    "run": "run always runs SCRIPT as a job",
    "script": "the script is run's first argument, SCRIPT",
    "input_mount": "--input places each input: [NAME:]CONTAINER_PATH=SOURCE",
    "output_mount": "--output places each output: [NAME:]CONTAINER_PATH=DESTINATION",
    "module_mount": "run ships the modules the script imports with it (or --sagemaker-source-dir)",
}
# The settings that drive this run rather than describe the job.
RUN_SETTINGS = ("dry_run", "wait", "download", "output_json")
# --input-mode NAME=VALUE...: (flag dest, channel kind, PathArgument attribute, choices)
CHANNEL_OPTIONS = (
    ("input_mode", "input", "mode", INPUT_MODES),
    ("input_distribution", "input", "distribution", DISTRIBUTIONS),
    ("input_data_type", "input", "data_type", DATA_TYPES),
    ("output_mode", "output", "mode", OUTPUT_MODES),
)
USAGE = (
    "%(prog)s [-h] [--input [NAME:]CONTAINER_PATH=SOURCE]... "
    "[--output [NAME:]CONTAINER_PATH=DESTINATION]... [--sagemaker-* ...] SCRIPT "
    "[-- ARGUMENTS...]"
)


def run_parser() -> OneLineParser:
    """The parser of ``run`` (everything before ``--``): SCRIPT, channels, settings."""
    parser = OneLineParser(
        prog=PROG,
        usage=USAGE,
        description="Run SCRIPT unchanged as a SageMaker Processing job (or on the local "
        "engine with --sagemaker-instance local), the way the SageMaker SDK's ScriptProcessor "
        "runs it: its channels are at the container paths given here, and its command line "
        "is exactly what follows --.",
        allow_abbrev=False,
        epilog=ENV_EPILOG,
    )
    parser.add_argument("script", metavar="SCRIPT", help="the script to run, unchanged")
    channels = parser.add_argument_group(
        "channels",
        "CONTAINER_PATH is under /opt/ml/processing/; the channel is named after its last "
        "part unless NAME: is given. Each flag is repeatable.",
    )
    channels.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="[NAME:]CONTAINER_PATH=SOURCE",
        help="SOURCE (a local file or directory, an s3:// URI or job://JOB/OUTPUT) is "
        "delivered into the directory CONTAINER_PATH in the job (a file keeps its name)",
    )
    channels.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="[NAME:]CONTAINER_PATH=DESTINATION",
        help="what the script writes to CONTAINER_PATH goes to DESTINATION: an s3:// URI, "
        "or a local directory (downloaded there after a waited run)",
    )
    for dest, kind, attribute, choices in CHANNEL_OPTIONS:
        channels.add_argument(
            "--" + dest.replace("_", "-"),
            action="append",
            default=[],
            metavar=f"NAME={'|'.join(choices)}",
            help=f"the {attribute.replace('_', ' ')} of the {kind} NAME (default: {choices[0]})",
        )
    defaults, _ = resolve({})
    first = add_settings(parser, defaults, leave_out=LEFT_OUT)[0]
    first.description = "SageMaker, or the local engine with --sagemaker-instance local."
    return parser


def main(argv: list[str]) -> int | None:
    """``aws-sagemaker-remote run ...`` (``argv`` without the command)."""
    ours, arguments = _split(argv)
    try:
        parser = run_parser()
    except Error as error:  # a bad AWS_SAGEMAKER_REMOTE_* value
        exit_on_error(error, prog=PROG, name=run_option_for_field)
    args, extra = parser.parse_known_args(ours)
    try:
        if extra:
            raise _not_an_option(extra[0])
        from ..api import job_spec
        from ..processing.remote import run_spec

        spec, _, origins = job_spec(
            args.script,
            _channels(args, "input"),
            _channels(args, "output"),
            None,
            arguments,
            _typed_settings(args, parser, ours),
            plain_script=True,
        )
        run = {name: getattr(args, setting_dest(BY_NAME[name])) for name in RUN_SETTINGS}
        run_spec(spec, run, origins, name=run_option_for_field)
    except Error as error:
        exit_on_error(error, prog=PROG, name=run_option_for_field)
    return 0


def _split(argv: list[str]) -> tuple[list[str], list[str]]:
    """run's own words, and the script's: everything after the first ``--``, verbatim."""
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1 :]
    return list(argv), []


def _not_an_option(word: str) -> UserError:
    flag = word.partition("=")[0]
    for name, why in LEFT_OUT.items():
        if flag == BY_NAME[name].flag:
            return UserError(f"{flag} is not an option of run: {why}")
    return UserError(
        f"{word!r} is not an option of run",
        fix=f"the script's own arguments go after --: {PROG} [OPTIONS] SCRIPT -- {word} ...",
    )


def _typed_settings(
    args: argparse.Namespace, parser: argparse.ArgumentParser, words: list[str]
) -> dict[str, object]:
    """The job settings typed on the command line (the rest come from the environment or
    the code defaults, as for the Python API), by name."""
    from ..processing.argv import split_arguments

    owned = {
        option: action
        for action in parser._actions
        if action.dest.startswith("sagemaker_")
        for option in action.option_strings
    }
    _, typed = split_arguments(words, owned)
    return {
        setting.name: getattr(args, setting_dest(setting))
        for setting in SETTINGS
        if setting_dest(setting) in typed and setting.name not in ("dry_run",)
    }


def _channels(args: argparse.Namespace, kind: str) -> dict[str, PathArgument]:
    """``--input``/``--output`` items with their ``--input-mode``... options, keyed by
    ``[NAME:]CONTAINER_PATH`` as :func:`..api.run_script` takes them."""
    from ..job.container_channels import channel_place, split_channel

    channels: dict[str, PathArgument] = {}
    places: dict[str, str] = {}  # channel name -> [NAME:]CONTAINER_PATH
    for text in getattr(args, kind):
        place, where = split_channel(text, kind)
        if place in channels:
            raise UserError(f"{place} is given twice", field=f"{kind}s", fix="give it once")
        places[channel_place(place, kind)[0]] = place
        channels[place] = PathArgument(where)
    for dest, option_kind, attribute, choices in CHANNEL_OPTIONS:
        if option_kind != kind:
            continue
        for text in getattr(args, dest):
            name, _, value = text.partition("=")
            field = f"{kind}s.{name}.{attribute}"
            if name not in places:
                raise UserError(
                    f"{text!r} names no {kind} (the {kind}s: {', '.join(places) or 'none'})",
                    field=field if name else f"{kind}s",
                    fix=f"write NAME={'|'.join(choices)} with the name of an --{kind}",
                )
            chosen = {c.lower(): c for c in choices}.get(value.lower())
            if chosen is None:
                raise UserError(
                    f"{value!r} is not one of {', '.join(choices)}",
                    field=field,
                    fix=f"write {name}={'|'.join(choices)}",
                )
            setattr(channels[places[name]], attribute, chosen)
    return channels
