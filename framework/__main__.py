"""`python -m framework` is the same as the `healthmon` console script."""

import sys

from framework.surfaces.cli import main

sys.exit(main())
