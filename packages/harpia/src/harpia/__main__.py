"""``python -m harpia`` runs the command line (see ``harpia --help``)."""

from ._cli import main

if __name__ == "__main__":
    main()
