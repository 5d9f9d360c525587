"""Exceptions that digitlab raises for expected failures.

Every expected failure derives from :class:`DigitlabError`; the CLI turns these
into one line on stderr and a non-zero exit code instead of a traceback.
"""


class DigitlabError(Exception):
    """Base class of every error digitlab expects and explains."""


class IDXFormatError(DigitlabError, ValueError):
    """An IDX file is malformed: bad magic, short header, wrong size, bad gzip."""


class ChecksumError(DigitlabError):
    """A data file's content does not match its published SHA-256."""


class DataNotFoundError(DigitlabError, FileNotFoundError):
    """A dataset file is in none of the places digitlab looks."""


class DownloadError(DigitlabError):
    """Every mirror failed for a file that had to be downloaded."""


class InvalidValueError(DigitlabError, ValueError):
    """An argument has a value outside what the function accepts."""
