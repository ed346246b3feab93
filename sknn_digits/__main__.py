"""``python -m sknn_digits`` runs the command line program."""

import sys

from .cli import main

sys.exit(main())
