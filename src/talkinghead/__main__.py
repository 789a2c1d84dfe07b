"""`python -m talkinghead` is the `talkinghead` command."""

import sys

from .cli import main

sys.exit(main())
