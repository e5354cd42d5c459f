"""`python -m mockwcf` is the `mockwcf` command."""

import sys

from mockwcf.cli import main

sys.exit(main())
