"""`python -m duban`: the same as the `duban` command (for Windows when Scripts is not on PATH)."""
from .cli import main

if __name__ == "__main__":  # not when a worker process (spawn) imports this module as __mp_main__
    main()
