"""YAML loaders compared on real tenant blobs (input for the design note; not a dependency).

Reads every distinct tenant blob of OUT_DIR's first-parent history (see ``python -m bench``) and
times each loader that is importable in the running interpreter over all of them:

* project parse        ``reconciler.specs.parse(TenantSpec, data)``: load + validate
* project load         ``reconciler.specs.yamlsafe.load(data)``: libyaml + our strict constructor
* pydantic only        ``TenantSpec.model_validate`` on values loaded beforehand
* PyYAML CSafeLoader   ``yaml.load(data, Loader=yaml.CSafeLoader)`` (libyaml, stock constructor)
* ruamel C safe        ``YAML(typ="safe", pure=False).load(data)``
* rapidyaml tree       ``ryml.parse_in_arena(data)``: a C++ tree, no Python objects
* rapidyaml -> Python  the tree walked into dicts/tuples/str in Python (scalars left untyped)
* yaml-rs              ``yaml_rs.loads(text)`` (Rust, returns Python objects)

The alternatives are installed only in a throwaway venv (ALT below: any folder), from the
repository's top folder:
    python3 -m venv ALT && ALT/bin/pip install rapidyaml yaml-rs pyyaml \
        'ruamel.yaml[oldlibyaml]' pydantic
    PYTHONPATH=$PWD ALT/bin/python -m bench.yaml_alternatives OUT_DIR

Usage: python -m bench.yaml_alternatives [--limit N] [--repeat R] OUT_DIR
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.historylib import tenant_blobs

Loader = Callable[[bytes], Any]


def project_parse() -> Loader:
    from reconciler.specs.documents import parse
    from reconciler.specs.model import TenantSpec

    return lambda data: parse(TenantSpec, data)


def project_load() -> Loader:
    from reconciler.specs import yamlsafe

    loader: Loader = yamlsafe.load
    return loader


def pyyaml_csafe() -> Loader:
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        raise ImportError("PyYAML was built without libyaml")
    return lambda data: yaml.load(data, Loader=yaml.CSafeLoader)


def ruamel_c_safe() -> Loader:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=False)
    return yaml.load


def rapidyaml_tree() -> Loader:
    import ryml  # type: ignore[import-not-found]

    return lambda data: ryml.parse_in_arena(data)


def rapidyaml_python() -> Loader:
    import ryml

    def convert(tree: Any, node: int) -> Any:
        if tree.is_map(node):
            return {bytes(tree.key(child)).decode(): convert(tree, child)
                    for child in ryml.children(tree, node)}
        if tree.is_seq(node):
            return tuple(convert(tree, child) for child in ryml.children(tree, node))
        return bytes(tree.val(node)).decode()

    def load(data: bytes) -> Any:
        tree = ryml.parse_in_arena(data)
        return convert(tree, tree.root_id())

    return load


def yaml_rs_loads() -> Loader:
    import yaml_rs  # type: ignore[import-not-found]

    return lambda data: yaml_rs.loads(data.decode("utf-8"))


LOADERS: tuple[tuple[str, Callable[[], Loader]], ...] = (
    ("project parse (yamlsafe.load + TenantSpec)", project_parse),
    ("project yamlsafe.load", project_load),
    ("PyYAML yaml.load CSafeLoader", pyyaml_csafe),
    ("ruamel.yaml YAML(typ='safe', pure=False)", ruamel_c_safe),
    ("rapidyaml parse_in_arena (tree only)", rapidyaml_tree),
    ("rapidyaml tree -> Python (walk in Python)", rapidyaml_python),
    ("yaml-rs loads", yaml_rs_loads),
)


def timed(loader: Callable[[Any], Any], items: Sequence[Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for item in items:
            loader(item)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N blobs")
    ap.add_argument("--repeat", type=int, default=1, help="best of R passes")
    args = ap.parse_args(argv)
    blobs = tenant_blobs(args.out_dir)
    if args.limit:
        blobs = blobs[:args.limit]
    total = sum(len(b) for b in blobs)
    print(f"{len(blobs):,} distinct tenant blobs, {total / 1e6:.1f} MB, Python "
          f"{sys.version.split()[0]}\n")
    print("| loader | seconds | MB/s | ms/blob |")
    print("|---|---:|---:|---:|")

    def row(name: str, seconds: float) -> None:
        print(f"| {name} | {seconds:.2f} | {total / 1e6 / seconds:.1f} | "
              f"{seconds / len(blobs) * 1e3:.2f} |", flush=True)

    for name, make in LOADERS:
        try:
            loader = make()
        except ImportError as exc:
            print(f"| {name} | not installed ({exc}) | | |", flush=True)
            continue
        row(name, timed(loader, blobs, args.repeat))
        if make is project_load:
            try:
                from reconciler.specs.model import TenantSpec
            except ImportError:
                continue
            loaded = [loader(data) for data in blobs]
            row("pydantic TenantSpec.model_validate only", timed(TenantSpec.model_validate,
                                                                 loaded, args.repeat))
            del loaded
    return 0


if __name__ == "__main__":
    sys.exit(main())
