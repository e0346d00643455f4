"""Run one processing script here, or as the same AWS SageMaker Processing job.

The Python API::

    import aws_sagemaker_remote as asr

    job = asr.submit("wc.py", inputs={"input": "data"}, outputs={"output": "out"},
                     instance="local", wait=False)
    job.wait()  # "Completed", "Failed" or "Stopped"

Names are imported on first use (a module ``__getattr__``), so a plain local run of a
script, which imports this package, pays for none of it.
"""

from __future__ import annotations

__version__ = "0.2.0"

_LAZY = {
    "submit": ("api", "submit"),
    "attach": ("api", "attach"),
    "request": ("api", "request"),
    "run_script": ("api", "run_script"),
    "run_script_request": ("api", "run_script_request"),
    "Job": ("submission.handle", "Job"),
    "Download": ("submission.handle", "Download"),
    "Event": ("events", "Event"),
    "errors": ("errors", None),
}

__all__ = [
    "Download",
    "Event",
    "Job",
    "__version__",
    "attach",
    "errors",
    "request",
    "run_script",
    "run_script_request",
    "submit",
]


def __getattr__(name: str):
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    from importlib import import_module

    module = import_module(f"{__name__}.{module_name}")
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
