"""A file refused whole: `Refused` carries its finding (pipelines/findings.py) from any reader to the caller."""

from pipelines.issues import Issue


class Refused(Exception):
    """A file (or part of it) that cannot be read as a table: carries its finding."""

    def __init__(self, issue: Issue):
        super().__init__(str(issue))
        self.issue = issue
