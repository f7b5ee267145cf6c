"""`python -m provider <verb>`: a tiny entry point; the verbs live in provider.commands.cli."""

import sys

from provider.commands.cli import main

if __name__ == "__main__":
    sys.exit(main())
