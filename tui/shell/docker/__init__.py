"""The `docker` CLI: argument parsing like docker/cli (cobra + pflag) and its output formats."""
