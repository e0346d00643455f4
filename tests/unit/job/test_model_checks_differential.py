"""find_violations, which redoes botocore's checks on cached shapes, against the reference:
botocore's own ParamValidator on botocore's model, then the same walk for the rest.

Requests are the realistic one of test_model_checks.py mutated path by path, several
mutations at once, and requests made up from each operation's model. All deterministic
(random.Random with fixed seeds); every (path, message) must match, in order.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import functools
import io
import random
from typing import Any, Callable

import pytest

from aws_sagemaker_remote.job import model_checks, service_model
from aws_sagemaker_remote.job.model_checks import find_violations

from .test_model_checks import valid_request

OPERATION = ("sagemaker", "CreateProcessingJob")


@functools.cache
def botocore_input_shape(service: str, operation: str) -> Any:
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel

    model = ServiceModel(create_loader().load_service_model(service, "service-2"), service)
    return model.operation_model(operation).input_shape


def reference(params: Any, service: str = "sagemaker", operation: str = "CreateProcessingJob"):
    """What find_violations reported when botocore's ParamValidator made its checks."""
    from botocore.validate import ParamValidator

    shape = botocore_input_shape(service, operation)
    errors = ParamValidator().validate(params, shape)._errors
    return model_checks._violations(params, shape, errors)


def outcome(check: Callable[..., Any], *args: Any) -> Any:
    try:
        return check(*args)
    except Exception as e:  # both sides must fail alike, too
        return ("raised", type(e).__name__, str(e))


@pytest.fixture()
def from_cache_file(monkeypatch):
    """Make find_violations read its shapes from the cache file, never from botocore."""

    def prepare(service: str, operation: str) -> None:
        monkeypatch.undo()
        service_model.input_shape.cache_clear()
        find_violations({}, operation, service)  # writes the file if missing
        assert service_model.cache_path(service, operation).is_file()
        service_model.input_shape.cache_clear()

        def no_botocore(*args):
            raise AssertionError("the cache file was not used")

        monkeypatch.setattr(service_model, "_compact_model", no_botocore)

    yield prepare
    service_model.input_shape.cache_clear()


def assert_same(requests: list, service: str, operation: str) -> list:
    """Both implementations agree on every request; returns the reference results."""
    results = []
    for params in requests:
        expected = outcome(reference, params, service, operation)
        assert outcome(find_violations, params, operation, service) == expected, params
        results.append(expected)
    return results


# --- Mutations of the realistic request -------------------------------------------------------


def paths_of(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every node's path (keys and indices), the root excluded, parents first."""
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        found.append((*prefix, key))
        if isinstance(item, (dict, list)):
            found.extend(paths_of(item, (*prefix, key)))
    return found


def replacements(value: Any, rng: random.Random) -> list[Any]:
    """Values to put in place of value: wrong types, bad sizes, bad contents."""
    wrong_types = [None, 0, -1, 2.5, True, "x", "", [], {}, b"x", decimal.Decimal("1.5")]
    out = list(wrong_types)
    if isinstance(value, str):
        out += [
            value + "_",
            value.upper(),
            "Bogus",
            value * 20,
            "a" * 257,
            "a" * rng.randint(1000, 3000),
            "é" * 64,
            "tab\there",
            value[: len(value) // 2],
            "s3://",
            "ftp://x",
            "\U0001f642",
        ]
    elif isinstance(value, bool):
        out += [1, "true", "false"]
    elif isinstance(value, int):
        out += [0, -5, 10**9, 777601, False, "1", 1.0, decimal.Decimal(3), value + 1]
    elif isinstance(value, list):
        out += [
            tuple(value),
            value * 60,
            [copy.deepcopy(value[0]) for _ in range(101)] if value else [None] * 101,
            value + [None],
            value + [1],
            value[:1],
            [value],
        ]
    elif isinstance(value, dict):
        out += [
            {**value, "Bogus": 1},
            {**value, 1: "x"},
            {**value, "": "x"},
            {**value, "1BAD": "x", "OK_NAME": 7},
            {f"V{i}": "x" for i in range(rng.choice([99, 100, 101, 150]))},
            dict(list(value.items())[:1]),
            {k: None for k in value},
            {k: 1 for k in value},
        ]
    return out


def set_at(request: dict, path: tuple, value: Any) -> None:
    node = request
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def delete_at(request: dict, path: tuple) -> None:
    node = request
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def get_at(request: dict, path: tuple) -> Any:
    node = request
    for key in path:
        node = node[key]
    return node


def single_mutations(rng: random.Random) -> list[dict]:
    base = valid_request()
    requests = []
    for path in paths_of(base):
        original = get_at(base, path)
        deleted = copy.deepcopy(base)
        delete_at(deleted, path)
        requests.append(deleted)
        for value in replacements(original, rng):
            changed = copy.deepcopy(base)
            set_at(changed, path, value)
            requests.append(changed)
    return requests


def multiple_mutations(rng: random.Random, count: int) -> list[dict]:
    requests = []
    for _ in range(count):
        request = valid_request()
        for _ in range(rng.randint(2, 6)):
            paths = paths_of(request)
            if not paths:
                break
            path = rng.choice(paths)
            if rng.random() < 0.2:
                delete_at(request, path)
            else:
                set_at(request, path, rng.choice(replacements(get_at(request, path), rng)))
        if rng.random() < 0.2:
            request[rng.choice(["Bogus", "processingJobName", "Tags "])] = {}
        requests.append(request)
    return requests


@pytest.mark.e2e
def test_single_mutations_of_the_realistic_request(from_cache_file):
    from_cache_file(*OPERATION)
    requests = single_mutations(random.Random(0))
    assert len(requests) > 1000
    results = assert_same(requests, *OPERATION)
    messages = {v.message for result in results if isinstance(result, list) for v in result}
    assert [] in results and len(messages) > 100, "the mutations should break things many ways"


@pytest.mark.e2e
def test_multiple_mutations_of_the_realistic_request(from_cache_file):
    from_cache_file(*OPERATION)
    assert_same(multiple_mutations(random.Random(0), 300), *OPERATION)


@pytest.mark.e2e
def test_the_realistic_request_and_its_variants_are_valid(from_cache_file):
    from_cache_file(*OPERATION)
    request = valid_request()
    request["ProcessingInputs"] = tuple(request["ProcessingInputs"])
    request["StoppingCondition"]["MaxRuntimeInSeconds"] = True  # an int, to isinstance
    assert assert_same([valid_request(), request], *OPERATION) == [[], []]


# --- Requests made up from the model ------------------------------------------------------------

AWARE = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
TIMESTAMPS = [
    datetime.datetime(2024, 5, 1),
    AWARE,
    "2024-05-01",
    "2024-05-01T12:00:00Z",
    "1714557600",
    "not a date",
    "",
    1714557600,
    1714557600.5,
    datetime.date(2024, 5, 1),
    None,
    [],
]
BLOBS = [b"x", bytearray(b"y"), "text", io.BytesIO(b"z"), 5, None, ["x"]]
ALPHABET = "abcXYZ0189-_./:@+= é\t#*"


def made_up(shape: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value for shape: mostly plausible, often at or past a limit, sometimes junk."""
    if rng.random() < 0.06:
        return rng.choice([None, 0, -1, 2.5, True, "x", "", [], {}, b"x", ("t",)])
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return made_up_document(rng, 0)
        if depth > 6:
            return {}
        value = {}
        share = 0.3 if shape.is_tagged_union else 0.6
        for name, member in shape.members.items():
            wanted = rng.random() < (0.9 if name in meta.get("required", ()) else share)
            if wanted:
                value[name] = made_up(member, rng, depth + 1)
        if rng.random() < 0.05:
            value["Bogus"] = 1
        return value
    if kind in ("list", "map"):
        size = made_up_size(meta, rng)
        if kind == "list":
            items = [made_up(shape.member, rng, depth + 1) for _ in range(min(size, 3))]
            value = (items * size)[:size] if items else []
            return tuple(value) if rng.random() < 0.05 else value
        value = {}
        for _ in range(size):
            key = made_up(shape.key, rng, depth + 1) if rng.random() < 0.9 else rng.randint(0, 9)
            try:
                value[key] = made_up(shape.value, rng, depth + 1)
            except TypeError:  # an unhashable key
                pass
        return value
    if kind == "string":
        enum = meta.get("enum")
        if enum and rng.random() < 0.8:
            return rng.choice(enum) if rng.random() < 0.85 else rng.choice(enum).lower() + "x"
        size = made_up_size(meta, rng)
        return "".join(rng.choice(ALPHABET) for _ in range(size))
    if kind in ("integer", "long"):
        low, top = meta.get("min", -10), meta.get("max", 10**6)
        return rng.choice([low - 1, low, top, top + 1, 0, -1, 7, True, False, "3", 2.5])
    if kind in ("float", "double"):
        low, top = meta.get("min", -10), meta.get("max", 10**6)
        choices = [low - 0.5, low, top, top + 1, 3, decimal.Decimal("1.5"), "1.0", True, 0.25]
        return rng.choice(choices)
    if kind == "boolean":
        return rng.choice([True, False, 1, "true", None])
    if kind == "timestamp":
        return rng.choice(TIMESTAMPS)
    if kind == "blob":
        return rng.choice(BLOBS)
    raise AssertionError(f"no values for {kind}")


def made_up_size(meta: dict, rng: random.Random) -> int:
    low, top = meta.get("min", 0), meta.get("max")
    sizes = [0, 1, 2, 5, low, max(low - 1, 0), low + 1]
    if top is not None and top <= 5000:
        sizes += [top, top + 1]
    return rng.choice(sizes)


def made_up_document(rng: random.Random, depth: int) -> Any:
    leaves = [None, "s", 1, 2.5, True, b"bytes", {1, 2}, decimal.Decimal("2")]
    if depth > 2 or rng.random() < 0.4:
        return rng.choice(leaves)
    if rng.random() < 0.5:
        return [made_up_document(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}": made_up_document(rng, depth + 1) for i in range(rng.randint(0, 3))}


MADE_UP = [
    # (service, operation, how many): together, every shape type and check botocore has.
    ("sagemaker", "CreateProcessingJob", 300),
    ("sagemaker", "CreateTrainingJob", 60),  # big: hyperparameter maps, nested configs
    ("sagemaker", "CreateFeatureGroup", 60),  # tagged unions
    ("sagemaker", "CreateTrialComponent", 60),  # doubles, timestamps
    ("sagemaker", "UpdateEndpointWeightsAndCapacities", 40),  # floats
    ("sagemaker", "StartPipelineExecution", 40),  # longs
    ("sagemaker", "ListTrainingJobs", 60),  # timestamps, enums
    ("lambda", "Invoke", 40),  # blobs
    ("bedrock-runtime", "Converse", 80),  # documents, unions
    ("lex-runtime", "PostContent", 40),  # JSON-value headers
    ("s3control", "CreateAccessPoint", 40),  # host labels (an implicit minimum of 1)
]


@pytest.mark.e2e
@pytest.mark.parametrize(("service", "operation", "count"), MADE_UP)
def test_requests_made_up_from_the_model(from_cache_file, service, operation, count):
    from_cache_file(service, operation)
    rng = random.Random(f"{service}.{operation}")
    shape = botocore_input_shape(service, operation)
    requests = [made_up(shape, rng) for _ in range(count)]
    results = assert_same(requests, service, operation)
    assert any(isinstance(r, list) and r for r in results)


@pytest.mark.e2e
def test_the_cached_shapes_are_botocores(from_cache_file):
    """Shape for shape, what the checks read is the same in both models."""
    for service, operation, _ in MADE_UP:
        from_cache_file(service, operation)
        ours = service_model.input_shape(service, operation)
        theirs = botocore_input_shape(service, operation)
        compare_shapes(ours, theirs, operation, set())


def compare_shapes(ours: Any, theirs: Any, where: str, seen: set) -> None:
    key = (id(ours), theirs.name)
    if key in seen:
        return
    seen.add(key)
    assert ours.type_name == theirs.type_name, where
    wanted = {k: v for k, v in theirs.metadata.items() if k in service_model.METADATA}
    assert ours.metadata == wanted, where
    if theirs.type_name == "structure":
        assert ours.is_document_type == theirs.is_document_type, where
        assert ours.is_tagged_union == theirs.is_tagged_union, where
    assert ours.host_label == theirs.serialization.get("hostLabel", False), where
    from botocore.utils import is_json_value_header

    assert ours.json_value_header == bool(is_json_value_header(theirs)), where
    if theirs.type_name == "structure":
        assert list(ours.members) == list(theirs.members), where
        for name in theirs.members:
            compare_shapes(ours.members[name], theirs.members[name], f"{where}.{name}", seen)
    elif theirs.type_name == "list":
        compare_shapes(ours.member, theirs.member, f"{where}[]", seen)
    elif theirs.type_name == "map":
        compare_shapes(ours.key, theirs.key, f"{where} (key)", seen)
        compare_shapes(ours.value, theirs.value, f"{where}.value", seen)
