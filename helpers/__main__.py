# `python -m helpers <command>`: the course's command line lives in helpers/course/cli.py.
import sys

from helpers.course.cli import main

sys.exit(main())
