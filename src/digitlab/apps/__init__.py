"""What people use: the ``digitlab`` command (cli/), the drawing web app (web/), and plots."""
