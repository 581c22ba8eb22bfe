"""`python -m ascc …`: the `ascc` command, for environments whose scripts folder is not on PATH."""

from ascc.cli import main

main()
