"""Sign-in attempts, limited so that guessing is slow and nobody can lock another person out.

The limit is keyed by the account *and* the source address together: a stranger's wrong
passwords slow down only that stranger's tries at that account, never the owner's from their
own desk. After three failures each further try waits longer (5 s, 10 s, 20 s … 60 s after
the last), and ten in 15 minutes is the most. A source also has a ceiling over all accounts
(password spraying). Successes are not counted: the attempt is claimed before the password is
checked (atomic, so parallel guesses cannot slip past) and given back when it was right.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from web.ratelimit import DatabaseHits, RateLimit

FREE_FAILURES = 3
MAX_FAILURES = 10
WINDOW_S = 15 * 60
SOURCE_FAILURES = 50  # one address, every account


def backoff(failures: int) -> float:
    """Seconds to wait after the last of ``failures`` failed tries."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(60.0, 5.0 * 2 ** (failures - FREE_FAILURES))


def limits(hits: DatabaseHits) -> tuple[RateLimit, RateLimit]:
    """(per account and source, per source) for create_app."""
    return (
        RateLimit(MAX_FAILURES, WINDOW_S, "signin", hits, backoff=backoff),
        RateLimit(SOURCE_FAILURES, WINDOW_S, "signin-source", hits),
    )


@dataclass(frozen=True)
class Claim:
    keys: tuple[str, str]
    hits: tuple[int, int]


def _source(request: Request) -> str:
    return request.client.host if request.client else "?"


async def claim(request: Request, realm: str, email: str) -> Claim | None:
    """Count one try of ``email`` (in ``realm``: staff, helpdesk) from this source; None when
    it must wait (answer 429 with ``retry_after``)."""
    account, source = request.app.state.login_limit, request.app.state.login_source_limit
    keys = (f"{realm}:{email}|{_source(request)}", f"{realm}:{_source(request)}")
    first = await account.take(keys[0])
    if first is None:
        return None
    second = await source.take(keys[1])
    if second is None:
        await account.release(keys[0], first)
        return None
    return Claim(keys, (first, second))


async def succeeded(request: Request, claim: Claim) -> None:
    """The password was right: the try is not counted."""
    await request.app.state.login_limit.release(claim.keys[0], claim.hits[0])
    await request.app.state.login_source_limit.release(claim.keys[1], claim.hits[1])


async def retry_after(request: Request, realm: str, email: str) -> int:
    """Whole seconds until this source may try ``email`` again (for Retry-After)."""
    source = _source(request)
    wait = max(
        await request.app.state.login_limit.retry_after(f"{realm}:{email}|{source}"),
        await request.app.state.login_source_limit.retry_after(f"{realm}:{source}"),
    )
    return max(1, int(wait + 0.999))
