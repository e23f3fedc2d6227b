"""The one exception type a user sees: a single line naming the problem."""


class PipelineError(Exception):
    """Bad input or configuration. The CLI prints it as one line and exits non-zero."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
