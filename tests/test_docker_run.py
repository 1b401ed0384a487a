"""`docker run` in the foreground: its exit status is the container's main process's."""

from __future__ import annotations

from tui.engine.docker.scenarios import docker_host
from tui.shell import Shell


def status_of(shell: Shell, line: str) -> int:
    shell.run_line(line)
    return shell.last_status


def test_the_exit_status_of_the_main_process_is_docker_runs() -> None:
    sh = Shell(docker_host(seed=5), "ip-10-0-2-197")
    assert status_of(sh, "docker run --rm busybox false") == 1
    assert status_of(sh, "docker run busybox sh -c 'exit 3'") == 3
    assert status_of(sh, "docker run --rm busybox true") == 0
    sh.run_line("docker ps -a --format '{{.Status}}'")
    assert "Exited (3)" in sh.terminal.text().splitlines()[-1]
