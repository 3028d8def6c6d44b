"""The base of every error a user can fix; the CLI prints these as one message, anything else as a traceback."""

from __future__ import annotations


class SynthioError(Exception):
    """A problem with the user's input, settings, files or environment, with the fix in its message.

    Pitfall: raise it (or a subclass) only for what a user can act on; an internal bug must stay
    a plain exception so the CLI shows its traceback instead of a polite message that hides it.
    """


class MissingFileError(SynthioError, FileNotFoundError):
    """A model folder, weights file or feature cache the user must provide or build first."""


class ModelFolderError(SynthioError, ValueError):
    """A model folder whose files hold another model, or are cut short or not what their names say."""
