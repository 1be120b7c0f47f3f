"""The command line: ``python -m rbm_helpers fetch ml-100k``, ``check`` and ``train``.

``fetch`` puts a data set in the cache before a workshop (and says where);
``check`` reports Python, torch and the device it would use, package
versions, and which data sets are cached, and exits non-zero with advice when
something the notebooks need is missing; ``train`` trains a recommender at
any size (``rbm_helpers.train_command``).
Introduced in the series' README (setting up) and notebook 03.
"""
from __future__ import annotations

import argparse
import sys
from importlib import metadata

from .data.checks import check_choice, check_folder_argument
from .data.movielens import DATASET_NAMES
from .data.sources import DataUnavailableError, cache_dir, cache_dir_reason, dataset_status, fetch
from .student_copies import write_student_copies
from .train_command import add_train_arguments, run_train

REQUIRED_DATASET = "ml-100k"
"""The data set the notebooks load; ``check`` fails without it."""

OPTIONAL_PACKAGES = {
    "pytest": "running the tests",
    "nbval": "testing the notebooks",
    "ipykernel": "running the notebooks",
    "ipywidgets": "progress bars in notebooks",
    "jupyterlab": "opening the notebooks locally",
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Introduced in notebook 03 (fetching the data before a workshop).
    """
    parser = argparse.ArgumentParser(prog="python -m rbm_helpers", description="Helpers for the RBM notebook series.")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_parser = commands.add_parser("fetch", help="download and verify a MovieLens data set into the cache")
    fetch_parser.add_argument("name", type=_dataset_name, metavar="NAME", help=f"which data set: {', '.join(DATASET_NAMES)}")
    check_parser = commands.add_parser("check", help="check Python, torch, packages and the cached data")
    for command in (fetch_parser, check_parser):
        command.add_argument("--data-dir", default=None, help="the cache folder (default: $RBM_HELPERS_DATA, ...)")
    train_parser = commands.add_parser("train", help="train a recommender of the series on MovieLens or synthetic data, at any size")
    add_train_arguments(train_parser)
    copies_parser = commands.add_parser("student-copies", help="write the notebooks without their solutions, for a workshop")
    copies_parser.add_argument("out", metavar="OUT", help="folder for the copies: new, empty, or holding earlier copies")
    copies_parser.add_argument("--notebooks", default=None, metavar="DIR",
                               help="the series' notebooks (default: the notebooks/ folder beside the package)")
    arguments = parser.parse_args(argv)
    if arguments.command == "train":
        return run_train(arguments)
    if arguments.command == "student-copies":
        return run_student_copies(arguments.out, arguments.notebooks)
    try:
        check_folder_argument(arguments.data_dir, "--data-dir", default="leave --data-dir out")
    except ValueError as error:
        parser.exit(2, f"{parser.prog} {arguments.command}: error: {error}\n")
    if arguments.command == "fetch":
        return run_fetch(arguments.name, arguments.data_dir)
    return run_check(arguments.data_dir)


def _dataset_name(value: str) -> str:
    """argparse's check of a data set name: the package's own message, with the closest name on a typo."""
    try:
        return check_choice(value, "name", DATASET_NAMES)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_fetch(name: str, data_dir: str | None = None) -> int:
    """``fetch``: make ``name`` ready in the cache; print where it is, or what failed.

    Introduced in notebook 03 (fetching the data before a workshop).
    """
    if name == "synthetic":
        print('synthetic needs no download: load_movielens("synthetic") generates it from a seed, offline.')
        return 0
    try:
        folder = fetch(name, data_dir, progressbar=sys.stderr.isatty())
    except (DataUnavailableError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{name} is ready in {folder}")
    print(f"  {dataset_status(name, data_dir).detail}")
    return 0


def run_check(data_dir: str | None = None) -> int:
    """``check``: print the environment, the packages and the cache; return 1 if something needed is missing.

    Introduced in notebook 03 (fetching the data before a workshop).
    """
    problems: list[str] = []
    print(f"Python       {sys.version.split()[0]} ({sys.executable})")
    if sys.version_info < (3, 10):
        problems.append("Python 3.10 or newer is needed: install a newer Python (e.g. with conda or uv).")
    _check_torch(problems)
    print("Packages")
    _check_packages(problems)
    print(f"Data cache   {cache_dir(data_dir)} (from {cache_dir_reason(data_dir)})")
    for name in DATASET_NAMES:
        if name == "synthetic":
            print(f"  {name:<16} available (generated from a seed, no download)")
            continue
        status = dataset_status(name, data_dir)
        print(f"  {name:<16} {'ready: ' if status.ready else 'missing: '}{status.detail}")
        if name == REQUIRED_DATASET and not status.ready:
            problems.append(
                f"{name} is not ready: {status.detail}.\n    Fix: {status.fix}.\n"
                '    Meanwhile, the notebooks can use load_movielens("synthetic") instead.'
            )
    if problems:
        print("\nSomething needs fixing:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print("\nAll good: the notebooks can run offline.")
    return 0


def _check_torch(problems: list[str]) -> None:
    try:
        import torch

        from .device import resolve_device
    except ImportError as error:
        print(f"torch        not importable ({error})")
        problems.append("torch is missing: pip install torch (see https://pytorch.org for a GPU build).")
        return
    device = resolve_device("auto")
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "no CUDA or MPS GPU found" if device.type == "cpu" else "Apple GPU"
    print(f"torch        {torch.__version__}, device 'auto' -> {device} ({where})")


def _check_packages(problems: list[str]) -> None:
    from packaging.requirements import Requirement

    try:
        requirements = [Requirement(line) for line in metadata.requires("rbm-helpers") or []]
    except metadata.PackageNotFoundError:
        problems.append("rbm-helpers is not installed: run pip install -e . in the repository.")
        requirements = []
    needed = [requirement for requirement in requirements if requirement.marker is None]
    for requirement in needed:
        version = _installed_version(requirement.name)
        if version is None:
            state = "MISSING"
            problems.append(f"{requirement.name} is missing: pip install '{requirement}'.")
        elif not requirement.specifier.contains(version, prereleases=True):
            state = f"{version} (too old: needs {requirement.specifier})"
            problems.append(f"{requirement.name} {version} is too old: pip install -U '{requirement}'.")
        else:
            state = version
        print(f"  {requirement.name:<14} {state}")
    for name, purpose in OPTIONAL_PACKAGES.items():
        version = _installed_version(name)
        print(f"  {name:<14} {version or 'not installed'} (optional, for {purpose})")


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def run_student_copies(out: str, notebooks: str | None = None) -> int:
    """``student-copies``: write every notebook without its solutions into ``out``; print where, or what was wrong.

    Introduced in the README (teaching the series in a workshop).
    """
    try:
        written = write_student_copies(out, notebooks)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {len(written)} student copies (no solutions, exercise outputs cleared) to {out}")
    return 0
