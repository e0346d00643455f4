"""A tiny module shipped with the textstats job."""

import re


def normalise(text):
    return re.findall(r"[a-z']+", text.lower())
