"""The base of every domain error: a rule of the domain refused an action.

Services raise subclasses with a message meant for the user; a route turns it into a flash
message or a form error, the API (to come) into a problem+json answer with `status`.
"""


class DomainError(Exception):
    status = 409

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class InvalidInput(DomainError):
    status = 422
