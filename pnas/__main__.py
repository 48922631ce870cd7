"""``python -m pnas`` runs the ``pnas`` command."""

from pnas.cli import main

if __name__ == "__main__":
    main()
