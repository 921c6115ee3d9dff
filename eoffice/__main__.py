"""`python -m eoffice` is the `eoffice` command."""

from eoffice.cli import main

main()
