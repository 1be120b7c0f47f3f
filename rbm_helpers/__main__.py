"""``python -m rbm_helpers fetch ml-100k`` and ``python -m rbm_helpers check``: see ``rbm_helpers.cli``."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
