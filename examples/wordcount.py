"""Count the words of every text file in a directory.

python examples/wordcount.py                            # here
python examples/wordcount.py --sagemaker-run true       # on SageMaker
python examples/wordcount.py --sagemaker-run true --sagemaker-instance local
"""

import os
from collections import Counter

from aws_sagemaker_remote.processing import sagemaker_processing_main

HERE = os.path.dirname(os.path.abspath(__file__))


def main(args):
    counts = Counter()
    for root, _dirs, files in os.walk(args.input):
        for name in sorted(files):
            with open(os.path.join(root, name), encoding="utf-8") as f:
                counts.update(f.read().lower().split())
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "counts.tsv"), "w", encoding="utf-8") as out:
        for word, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            out.write(f"{word}\t{n}\n")
    print(f"{sum(counts.values())} words, {len(counts)} distinct")


if __name__ == "__main__":
    sagemaker_processing_main(
        script=__file__,
        main=main,
        inputs={"input": os.path.join(HERE, "data")},
        outputs={"output": "output/wordcount"},
        base_job_name="wordcount",
    )
