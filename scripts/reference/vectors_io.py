"""Writing a generated file, or checking it is up to date (`--check`): what every
reference generator here ends with."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def write_or_check(out: Path, text: bytes, script: str, argv) -> int:
    """With `--check` in argv: 0 if `out` holds exactly `text`, else 1 with the command to
    rerun. Without it: writes `text` to `out` and says how many CSV rows it holds."""
    name = out.relative_to(ROOT)
    if "--check" in argv:
        if not out.exists() or out.read_bytes() != text:
            print(f"{name} is stale; rerun {Path(script).name}", file=sys.stderr)
            return 1
        print(f"{name} is up to date")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text)
    rows = text.count(b"\n") - 1
    print(f"wrote {rows} rows to {name}")
    return 0
