"""`python -m chaos`: see chaos.campaign."""

import sys

from chaos.campaign import main

sys.exit(main())
