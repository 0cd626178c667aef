#!/usr/bin/env python3
"""Lists every long flag uv parses for each command of src/knowledge/uv_cli.toml.

Usage: scripts/uv-accepted-flags.py [--source UV_SOURCE_DIR] UV_BINARY... > accepted.toml

Each binary is asked for `uv <command> --help` (the flags it shows), then probed with
`uv <command> --<flag>=x --help` for every flag any command shows, the knowledge file names or
uv's source declares (hidden pip-compatibility flags and aliases included; the source is the
sdist from PyPI, unpacked), and their `--no-` opposites: clap rejects a flag it does not know
with "unexpected argument" before it looks at `--help`, so nothing is ever run. The output is
the union over the binaries, as the `[[accepted]]` tables at the end of uv_cli.toml. It needs no
network (get the binaries with `pip download uv==X.Y.Z`).
"""

import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

KNOWLEDGE = Path(__file__).resolve().parent.parent / "src/knowledge/uv_cli.toml"
LONG_FLAG = re.compile(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)")
NAME = r"[a-z0-9][a-z0-9-]*"


def source_names(root: Path) -> set[str]:
    """Every long name, alias and `long` field of uv's clap definitions, as `--name`."""
    names = set()
    for path in (root / "crates/uv-cli/src").rglob("*.rs"):
        text = path.read_text()
        names.update(re.findall(rf'\b(?:long|alias|visible_alias)\s*=\s*"({NAME})"', text))
        for group in re.findall(r"\b(?:aliases|visible_aliases)\s*=\s*\[([^\]]*)\]", text):
            names.update(re.findall(rf'"({NAME})"', group))
        # `#[arg(long, ...)] field_name: T` spells the flag after the field.
        for start in (m.end() for m in re.finditer(r"#\[(?:arg|clap)\(", text)):
            depth, end = 1, start
            while depth and end < len(text):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            field = re.match(r"\]\s*(?:(?:#\[[^\n]*\]|//[^\n]*)\s*)*(?:pub(?:\(crate\))?\s+)?([a-z_][a-z0-9_]*)\s*:", text[end:])
            if field and re.search(r"(^|[\s,])long\s*([,)]|$)", text[start : end - 1]):
                names.add(field.group(1).replace("_", "-"))
    return {"--" + name for name in names}


def main() -> None:
    binaries = sys.argv[1:]
    source = None
    if binaries[:1] == ["--source"] and len(binaries) > 1:
        source, binaries = Path(binaries[1]), binaries[2:]
    if not binaries:
        sys.exit(__doc__)
    knowledge = tomllib.loads(KNOWLEDGE.read_text())
    commands = [command["path"] for command in knowledge["command"]]
    named = set()
    for table in knowledge["flag_set"] + knowledge["command"]:
        for flag in table.get("flag", []):
            named.add(flag["name"])
            named.update(flag.get("aliases", []))
    if source:
        named |= source_names(source)
    accepted = {command: set() for command in commands}
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, HOME=scratch, UV_NO_CACHE="1", UV_OFFLINE="1", UV_NO_CONFIG="1", NO_COLOR="1")

        def run(uv: str, args: list[str]) -> str:
            done = subprocess.run([uv, *args], cwd=scratch, env=env, capture_output=True, text=True, timeout=30)
            return done.stdout + done.stderr

        for uv in binaries:
            shown = {command: set(LONG_FLAG.findall(run(uv, [*command.split(), "--help"]))) for command in commands}
            candidates = set(named).union(*shown.values())
            candidates |= {"--" + it[5:] if it.startswith("--no-") else "--no-" + it[2:] for it in candidates}
            for command in commands:
                for flag in sorted(candidates):
                    if flag in shown[command]:
                        accepted[command].add(flag)
                        continue
                    out = run(uv, [*command.split(), f"{flag}=x", "--help"])
                    if not ("unexpected argument" in out and flag in out):
                        accepted[command].add(flag)
    for command in commands:
        print(f'\n[[accepted]]\npath = "{command}"\nflags = [')
        for flag in sorted(accepted[command]):
            print(f'    "{flag}",')
        print("]")


if __name__ == "__main__":
    main()
