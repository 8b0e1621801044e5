"""The `rollguard` binary a release build makes, wherever cargo puts it.

The build names its target (`.cargo/config.toml`: `[build] target = "host-tuple"`, for static
linking), so the binary is in `target/<host tuple>/release/`, and `CARGO_TARGET_DIR` or a
user's own config can move it again: cargo's own report of what it built is the one answer
that holds everywhere.
"""

import json
import subprocess
from pathlib import Path


def release_binary(root):
    """Builds `rollguard` (release profile) in the workspace at `root`; returns its path."""
    out = subprocess.run(
        ["cargo", "build", "--release", "--bin", "rollguard", "--message-format=json-render-diagnostics"],
        cwd=root, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if (message.get("reason") == "compiler-artifact" and message.get("executable")
                and message["target"]["name"] == "rollguard"):
            return message["executable"]
    raise SystemExit("cargo built no rollguard binary")


if __name__ == "__main__":
    print(release_binary(Path(__file__).resolve().parent.parent))
