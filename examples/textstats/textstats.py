"""Word statistics with everything a real job ships: a module, requirements, a
configuration script and extra arguments.

    python examples/textstats/textstats.py --min-length 4
    python examples/textstats/textstats.py --sagemaker-run true --sagemaker-instance local
"""

import json
import os

from aws_sagemaker_remote.processing import sagemaker_processing_main

HERE = os.path.dirname(os.path.abspath(__file__))


def main(args):
    from textnorm import normalise  # shipped as a module, on PYTHONPATH inside the job

    words = []
    for name in sorted(os.listdir(args.input)):
        with open(os.path.join(args.input, name), encoding="utf-8") as f:
            words += [w for w in normalise(f.read()) if len(w) >= args.min_length]
    stats = {
        "words": len(words),
        "distinct": len(set(words)),
        "longest": max(words, key=lambda w: (len(w), w)) if words else None,
        "label": os.environ.get("TEXTSTATS_LABEL", "unlabelled"),
        "top": args.top,
    }
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "stats.json"), "w", encoding="utf-8") as out:
        json.dump(stats, out, indent=2, sort_keys=True)
        out.write("\n")
    print(json.dumps(stats, sort_keys=True))


def more_arguments(parser):
    parser.add_argument("--top", type=int, default=3, help="how many top words to report")


if __name__ == "__main__":
    sagemaker_processing_main(
        script=__file__,
        main=main,
        inputs={"input": os.path.join(HERE, "data")},
        outputs={"output": "output/textstats"},
        modules={"textnorm": os.path.join(HERE, "textnorm")},
        requirements=os.path.join(HERE, "requirements.txt"),
        configuration_script=os.path.join(HERE, "configure.sh"),
        additional_arguments=[
            {"dest": "--min-length", "default": 1, "help": "ignore shorter words"},
        ],
        argparse_callback=more_arguments,
    )
