"""`python -m provider <verb>`: a tiny entry point; the verbs live in provider.cli."""

import sys

from provider.cli import main

if __name__ == "__main__":
    sys.exit(main())
