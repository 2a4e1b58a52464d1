"""`python -m dynaqueue.cli`."""

import sys

from dynaqueue.cli.main import main

sys.exit(main())
