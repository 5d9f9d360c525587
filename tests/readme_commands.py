"""Run every command block of README.md as a newcomer would: in a fresh clone, with no ../shared beside it.

    python -m tests.readme_commands [--repo DIR] [--keep]

Every ```sh and ```python block runs in order, from the clone's root, each shell line as written and each
Python block as one script. A line (or, in Python, a block) that README marks ``[quick: ...]`` runs its
quick variant: ``[quick: --epochs 1]`` adds those arguments to the command, ``[quick: A => B]`` replaces
A with B. ``digitlab serve`` is started on a free port, its page, docs, icon and health answer are
fetched, and it is stopped. The set-up lines (install.sh, pytest) are what .ci/run itself runs first.

Afterwards the clone must hold nothing new that git does not ignore, except files a command names: a
command writes where the user asked or into the current directory (ignored), never into the package.
Exit status 0 if everything passed; the first failure is printed with its command and output.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.M | re.S)
QUICK = re.compile(r"\[quick: ([^\]]+)\]")
SETUP = {"./install.sh && . .venv/bin/activate": "install: .ci/run does it first",
         "pytest": "the test suite: .ci/run runs it first"}


def blocks(readme: str) -> list[tuple[str, str]]:
    """(language, code) of every ```sh and ```python block, in order."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(readme)]


def quick(code: str, marked: str) -> str:
    """``code`` with the quick variant that the ``[quick: ...]`` markers in ``marked`` ask for."""
    for spec in QUICK.findall(marked):
        if "=>" in spec:
            old, new = (part.strip() for part in spec.split("=>"))
            if old not in QUICK.sub("", code):  # in the code itself, not just in the marker
                raise ValueError(f"[quick: {spec}]: {old!r} is not in {code!r}")
            code = code.replace(old, new)
        else:
            command, hash_, comment = code.partition("#")
            code = f"{command.rstrip()} {spec.strip()}" + (f"   #{comment}" if hash_ else "")
    return code


def shell_commands(code: str) -> list[str]:
    """The lines of a shell block, each with its quick variant; blank lines dropped."""
    return [quick(line, line) for line in code.splitlines() if line.strip()]


def command_of(line: str) -> str:
    return line.partition("#")[0].strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Failed(Exception):
    pass


def run(command: list[str] | str, cwd: Path, env: dict, timeout: float = 1800) -> None:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, shell=isinstance(command, str), capture_output=True,
                          text=True, timeout=timeout)
    shown = command if isinstance(command, str) else " ".join(command)
    print(f"  {'ok  ' if proc.returncode == 0 else 'FAIL'} {time.perf_counter() - start:6.1f} s  {shown[:110]}", flush=True)
    if proc.returncode != 0:
        raise Failed(f"{shown}\nexit status {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n"
                     f"{proc.stderr[-3000:]}")


def serve(line: str, cwd: Path, env: dict) -> None:
    """Start ``digitlab serve`` as README shows it, on a free port; fetch what a visitor fetches; stop it."""
    port = free_port()
    proc = subprocess.Popen(f"{command_of(line)} --port {port}", cwd=cwd, env=env, shell=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise Failed(f"{line}\nexited: {proc.stdout.read().decode()}") from None
                time.sleep(0.1)
        for path in ("/", "/static/app.js", "/favicon.ico", "/docs", "/docs/assets/swagger-ui-bundle.js", "/openapi.json"):
            with urllib.request.urlopen(url + path, timeout=10) as answer:
                if answer.status != 200:
                    raise Failed(f"{line}: GET {path} answered {answer.status}")
        print(f"  ok            {command_of(line)} (on port {port}: /, /docs, /favicon.ico, /healthz answered)")
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


def untracked_or_changed(clone: Path) -> list[str]:
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=clone, capture_output=True,
                         text=True, check=True).stdout
    return [line[3:] for line in out.splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(ROOT), help="the repository to clone (default: this one; its HEAD)")
    parser.add_argument("--keep", action="store_true", help="keep the clone and print where it is")
    args = parser.parse_args()

    readme = (Path(args.repo) / "README.md").read_text()
    work = Path(tempfile.mkdtemp(prefix="digitlab-newcomer-"))  # the clone's parent: no shared/ beside it
    clone = work / "digitlab"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=args.repo, capture_output=True, text=True,
                          check=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", args.repo, str(clone)], check=True)
    subprocess.run(["git", "checkout", "--quiet", head], cwd=clone, check=True)  # the commit, even from a worktree
    env = {k: v for k, v in os.environ.items() if k not in ("DIGITLAB_DATA", "DIGITLAB_MODEL", "PYTHONPATH")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # digitlab and python of this venv
    env["XDG_CACHE_HOME"] = str(work / "cache")  # no cache of the developer's
    env["MPLBACKEND"] = "Agg"
    named = set()  # files the commands name: they may change in the clone
    print(f"README.md commands, in a fresh clone at {clone}")
    try:
        for number, (language, code) in enumerate(blocks(readme), 1):
            print(f"block {number} ({language})")
            if language == "python":
                script = work / f"block{number}.py"
                script.write_text(quick(code, code))
                run([sys.executable, str(script)], clone, env)
                named |= set(re.findall(r"""["']([\w./-]+\.\w+)["']""", code))
                continue
            for line in shell_commands(code):
                command = command_of(line)
                if command in SETUP:
                    print(f"  skip          {command} ({SETUP[command]})")
                elif command.startswith("digitlab serve"):
                    serve(line, clone, env)
                else:
                    run(command, clone, env)
                    named |= {word for word in command.split() if "/" in word or "." in word}
        stray = [path for path in untracked_or_changed(clone)
                 if path not in named and not any(path.startswith(n.rstrip("/") + "/") for n in named)]
        if stray:
            raise Failed("files written into the repository that git does not ignore and no command named:\n  "
                         + "\n  ".join(stray))
    except (Failed, subprocess.TimeoutExpired) as e:
        print(f"\nREADME command failed: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept: {clone}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("every README command ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
