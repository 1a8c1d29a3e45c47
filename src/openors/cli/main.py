"""The `openors` command line."""

import sys


def main(argv=None):
    print("openors: command line not built yet", file=sys.stderr)
    return 2
