"""`python -m trader ...` is the same as the `trader` console command."""

import sys

from trader.cli import main

sys.exit(main())
