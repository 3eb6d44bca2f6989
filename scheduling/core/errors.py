"""The one exception type services raise. The API maps it to the documented
error body; pages turn it into a form message."""


class DomainError(Exception):
    """A rule refused the operation. ``status`` is the HTTP status the API answers."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Unauthenticated(DomainError):
    status = 401


# What the services' checks collect before raising: ``(field, message)`` pairs.
FieldErrors = list[tuple[str, str]]


def raise_first(errors: FieldErrors) -> None:
    """Raise the first collected error as a DomainError on its field (none: return)."""
    if errors:
        field, message = errors[0]
        raise DomainError(message, field=field)
