"""``perfcycle``: generate, check, validate and lint the bundle. Errors become exit codes only here.

Exit codes: 0 ok; 1 outputs drifted from the spec (``check``) or lint findings;
2 the spec is invalid; 3 a required tool (promtool, amtool) is missing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import pipeline, promtool
from .build import routing
from .render import header, render
from .errors import SpecError
from .spec import load

DEFAULT_SPEC = "spec/kpis.yaml"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except SpecError as err:
        for problem in err.problems:
            print(f"ERROR: {problem}", file=sys.stderr)
        print(f"{len(err.problems)} problem(s) in the spec; nothing written.", file=sys.stderr)
        return 2
    except promtool.ToolMissing as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfcycle", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for name, func, help_text in (
        ("generate", _generate, "write every output from the spec"),
        ("check", _check, "fail, listing each file, when committed outputs differ from the spec"),
        ("validate", _validate, "validate the spec only; write nothing"),
        ("lint", _lint, "validate the spec and run promtool/amtool on the committed outputs"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--spec", default=DEFAULT_SPEC, help=f"spec file, YAML or Jsonnet (default {DEFAULT_SPEC})")
        sub.add_argument("--overlay", action="append", default=[], metavar="FILE",
                         help="overlay layered on the spec (repeatable), e.g. spec/overlays/fast.yaml")
        sub.add_argument("--root", default=".", type=Path, help="project root the outputs live under")
        sub.set_defaults(command=func)
    override = commands.add_parser("alertmanager-override",
                                   help="write an Alertmanager config that sends every receiver to one webhook")
    override.add_argument("--spec", default=DEFAULT_SPEC)
    override.add_argument("--overlay", action="append", default=[], metavar="FILE")
    override.add_argument("--webhook", required=True, help="URL every receiver posts to (e.g. a local sink)")
    override.add_argument("--out", required=True, type=Path, help="file to write")
    override.set_defaults(command=_override)
    from .stack import cli as stack_cli
    stack_cli.add(commands)
    return parser


def _generate(args: argparse.Namespace) -> int:
    texts = pipeline.build_texts(load(args.spec, overlays=tuple(args.overlay)), args.root)
    touched = pipeline.write(texts, args.root)
    print(f"perfcycle: {len(texts)} files generated from {args.spec}; {len(touched)} changed")
    for path in touched:
        print(f"  {path}")
    return 0


def _check(args: argparse.Namespace) -> int:
    texts = pipeline.build_texts(load(args.spec, overlays=tuple(args.overlay)), args.root)
    found = pipeline.drift(texts, args.root)
    if found:
        print(f"perfcycle check: outputs drifted from {args.spec} (run `make generate` and commit):", file=sys.stderr)
        for line in found.lines():
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"perfcycle check: {len(texts)} files match {args.spec}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    loaded = load(args.spec, overlays=tuple(args.overlay))
    print(f"perfcycle validate: {args.spec} is valid ({len(loaded.spec.kpis)} KPIs)")
    return 0


def _lint(args: argparse.Namespace) -> int:
    load(args.spec, overlays=tuple(args.overlay))
    results = []
    rule_files = sorted(str(p) for d in ("recording_rules", "alerts") for p in (args.root / d).glob("*.yml"))
    if rule_files:
        results.append(promtool.check_rules(*rule_files))
    config = args.root / "alertmanager" / "alertmanager.yml"
    if config.exists():
        results.append(promtool.amtool_check_config(config))
    for result in results:
        print(result.output)
    return 0 if all(r.ok for r in results) else 1


def _override(args: argparse.Namespace) -> int:
    loaded = load(args.spec, overlays=tuple(args.overlay))
    text = render(args.out.name if args.out.suffix in (".yml", ".yaml") else "override.yml",
                  routing.write_override(loaded.spec, args.webhook), header(loaded.named_from(), loaded.sha256))
    pipeline.write_files({args.out.name: text}, args.out.parent)
    print(f"perfcycle: wrote {args.out}: every receiver posts to {args.webhook}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
