"""A real Streamlit server on a free port, for browser tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    @classmethod
    def start(
        cls,
        database_url: str,
        log_dir: Path,
        *,
        extra_env: dict[str, str] | None = None,
        script: Path = ROOT / "serve.py",
        port: int | None = None,
    ) -> LiveServer:
        """`streamlit run script` (serve.py: the app behind its gate) on `port`, or a free one
        (give it to know the server's address beforehand, e.g. for EVIDENCE_PUBLIC_URL)."""
        port = port or free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "EVIDENCE_DEMO": "0", **(extra_env or {})}
        log_path = log_dir / f"streamlit-{port}.log"
        log = open(log_path, "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"streamlit did not start; see {log_path}:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        return cls(url, process, log_path)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
