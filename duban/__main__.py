"""`python -m duban`: the same as the `duban` command (for Windows when Scripts is not on PATH)."""
from .cli import main

main()
