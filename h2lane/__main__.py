"""``python -m h2lane`` runs the command line."""

from h2lane.cli import main

main()
